import type { Runnable } from '@cascadence/core';

export type GraphFormat = 'mermaid' | 'dot';

interface Node {
  id: string;
  label: string;
  needs: string[];
  when: string;
}

function nodesOf(runnable: Runnable): Node[] {
  if (runnable.kind === 'task') return [{ id: runnable.name, label: runnable.name, needs: [], when: 'all-succeeded' }];
  return runnable.graph.ids.map((id, i) => {
    const step = runnable.graph.steps[i]!;
    const what =
      step.uses !== undefined
        ? `uses ${step.uses}`
        : typeof step.task === 'string'
          ? `task ${step.task}`
          : step.task !== undefined
            ? `${step.task.kind} ${step.task.name}`
            : 'inline';
    return {
      id,
      label: `${id}\n${what}`,
      needs: (runnable.graph.needs[i] ?? []).map((j) => runnable.graph.ids[j]!),
      when: step.when ?? 'all-succeeded',
    };
  });
}

/** The flow's DAG as Mermaid (`flowchart TD`) or Graphviz DOT; non-default trigger rules label their edges. */
export function renderGraph(runnable: Runnable, format: GraphFormat): string {
  const nodes = nodesOf(runnable);
  if (format === 'dot') {
    const q = (s: string) => JSON.stringify(s);
    const lines = [`digraph ${q(runnable.name)} {`, '  rankdir=TB;', '  node [shape=box, style=rounded];'];
    for (const node of nodes) lines.push(`  ${q(node.id)} [label=${q(node.label)}];`);
    for (const node of nodes) {
      for (const need of node.needs) {
        lines.push(`  ${q(need)} -> ${q(node.id)}${node.when === 'all-succeeded' ? '' : ` [style=dashed, label=${q(node.when)}]`};`);
      }
    }
    lines.push('}');
    return lines.join('\n');
  }
  // Mermaid ids must be simple; labels carry the real names.
  const ids = new Map(nodes.map((node, i) => [node.id, `s${i}`]));
  const esc = (s: string) => s.replace(/"/g, '#quot;').replace(/\n/g, '<br/>');
  const lines = ['flowchart TD'];
  for (const node of nodes) lines.push(`  ${ids.get(node.id)}["${esc(node.label)}"]`);
  for (const node of nodes) {
    for (const need of node.needs) {
      lines.push(
        node.when === 'all-succeeded'
          ? `  ${ids.get(need)} --> ${ids.get(node.id)}`
          : `  ${ids.get(need)} -. ${node.when} .-> ${ids.get(node.id)}`,
      );
    }
  }
  return lines.join('\n');
}
