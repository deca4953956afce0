// The new project's README: what is there and the commands to try.
import type { ProjectOptions } from './project-options';

export function renderReadme({ name, language, parts }: ProjectOptions): string {
  const ts = language === 'ts';
  const ext = ts ? 'ts' : 'js';
  const lines = [
    `# ${name}`,
    '',
    'A [Cascadence](https://www.npmjs.com/package/@cascadence/core) project: tasks and flows of tasks,',
    'run from the command line' + (parts.schedules ? ', on a schedule' : '') + (parts.temporal ? ', or on Temporal' : '') + '.',
    '',
    '## Next',
    '',
    '```sh',
    'npm install',
    'npx task run report      # the YAML flow in flows/report.yml',
    'npm test                 # test/: the flows, through the engine and the `task` command',
    '```',
    '',
    '## What is here',
    '',
    `- \`cascadence.config.${ext}\` — where the tasks are` +
      (parts.metrics ? ', the metrics port' : '') +
      (parts.temporal ? ', the Temporal task queue' : '') +
      '.',
    `- \`src/tasks.${ext}\` — two tasks (\`load-numbers\`, \`summarize\`) and a flow in code (\`stats\`).`,
    '- `flows/report.yml` — the same steps as a YAML flow' + (parts.shell ? ', plus a `shell` step' : '') + '.',
  ];
  if (parts.http) lines.push('- `flows/ping.yml` — an HTTP request step (`npx task run ping` needs internet access).');
  if (parts.schedules) lines.push('- `schedules.yml` — runs `report` at 07:00 UTC on weekdays: `npx task scheduler` (Ctrl-C stops it).');
  lines.push(
    `- \`test/project.test.${ext}\` — node's test runner${ts ? ' (through tsx)' : ''}.`,
    '- `.cascadence/` — state the `task` command keeps (disabled tasks, schedule state, caches); not committed.',
  );
  lines.push('', '## More commands', '', '```sh');
  lines.push(
    'npx task list                        # tasks and flows',
    'npx task run stats --input \'{"numbers": [2, 4, 9]}\'',
    'npx task graph report                # the flow as Mermaid (--format dot)',
    'npx task disable summarize           # and `task enable`',
  );
  if (ts) lines.push('npm run typecheck');
  if (parts.schedules) lines.push('npx task schedule stats "*/15 * * * *"   # adds to schedules.yml', 'npx task schedules');
  if (parts.metrics) lines.push('npx task scheduler                   # also serves http://localhost:9464/metrics');
  lines.push('```');
  if (parts.temporal) {
    lines.push(
      '',
      '## Temporal',
      '',
      'The same tasks and flows run as durable workflows on [Temporal](https://temporal.io). Start a',
      'server (`temporal server start-dev` from the Temporal CLI), then, with',
      '`TEMPORAL_ADDRESS=localhost:7233` in the environment:',
      '',
      '```sh',
      'npx task worker                         # in one terminal: runs the steps',
      'npx task run report --backend temporal  # in another',
      'npm test                                # also runs the Temporal test',
      '```',
      '',
      'Without `TEMPORAL_ADDRESS`, `npm test` checks only that the flow compiles for Temporal and skips',
      'the test that needs a server.',
    );
  }
  if (parts.shell || parts.http) {
    lines.push('', '> Plugins are trusted code: they run in the same process as your tasks, with its rights.');
  }
  return `${lines.join('\n')}\n`;
}
