import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import { BaseCommand } from '../base-command';
import { renderGraph, type GraphFormat } from '../graph';

export default class Graph extends BaseCommand {
  static override summary = "Print a flow's graph as Mermaid or Graphviz DOT";
  static override examples = ['<%= config.bin %> graph deploy', '<%= config.bin %> graph deploy --format dot | dot -Tsvg > deploy.svg'];
  static override args = { name: Args.string({ description: 'Flow (or task) name', required: true }) };
  static override flags = {
    format: Flags.string({ description: 'Output format', options: ['mermaid', 'dot'], default: 'mermaid' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Graph);
    const project = await this.project(flags.cwd, args.name);
    this.out(renderGraph(project.registry.get(args.name), flags.format as GraphFormat));
  }
}
