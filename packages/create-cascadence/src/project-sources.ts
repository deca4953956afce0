// The source files of a new project: config, tasks, YAML flows, schedules.
import type { ProjectOptions } from './project-options';

export const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022'],
    module: 'ESNext',
    moduleResolution: 'Bundler',
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    isolatedModules: true,
    noEmit: true,
    types: ['node'],
  },
  include: ['cascadence.config.ts', 'src', 'test'],
};

export function renderConfig({ name, language, parts }: ProjectOptions): string {
  const ts = language === 'ts';
  const lines: string[] = [];
  if (ts) {
    lines.push("import type { CascadenceConfig } from '@cascadence/cli';", '');
  }
  lines.push(
    '// Read by the `task` command (npx task --help). flows/*.yml is read without being listed;',
    '// plugins (@cascadence/plugin-*, cascadence-plugin-*) are found in package.json dependencies.',
    'export default {',
    '  // Modules whose exported tasks and flows join the project.',
    `  tasks: ['./src/tasks.${ts ? 'ts' : 'js'}'],`,
    '  // Default time zone of schedules.',
    "  timezone: 'UTC',",
  );
  if (parts.metrics) {
    lines.push('  // `task scheduler` serves Prometheus metrics on http://localhost:9464/metrics.', '  metrics: { port: 9464 },');
  }
  if (parts.temporal) {
    lines.push(
      '  // `task worker` and `task run NAME --backend temporal`. TEMPORAL_ADDRESS (default localhost:7233)',
      "  // and TEMPORAL_NAMESPACE come from the environment; set backend: 'temporal' to make it the default.",
      `  temporal: { taskQueue: '${name.replace(/^@[^/]+\//, '')}' },`,
    );
  }
  lines.push(ts ? '} satisfies CascadenceConfig;' : '};', '');
  return lines.join('\n');
}

export const TASKS_TS = `import { defineFlow, defineTask, NonRetryableError } from '@cascadence/core';

export interface Summary {
  count: number;
  total: number;
  mean: number;
}

/** Produces the numbers to work on: the run's input \`{ "numbers": [...] }\`, or 1 to 5. */
export const loadNumbers = defineTask<{ numbers?: unknown } | undefined, number[]>({
  name: 'load-numbers',
  description: 'Returns the numbers of the input ({"numbers": [...]}), or 1 to 5',
  // In real life this would read a file or call an API: retried, and given a deadline.
  retry: { attempts: 3, backoff: 'exponential', delayMs: 200 },
  timeoutMs: 5_000,
  run(ctx, input) {
    const numbers = input?.numbers ?? [1, 2, 3, 4, 5];
    if (!Array.isArray(numbers) || !numbers.every((n) => typeof n === 'number' && Number.isFinite(n))) {
      // Retrying cannot fix bad input.
      throw new NonRetryableError(\`input.numbers must be a list of numbers (got \${JSON.stringify(numbers)})\`);
    }
    ctx.log.info(\`loaded \${numbers.length} numbers\`);
    return numbers;
  },
});

/** Count, total and mean of the numbers produced by the step it needs (step id \`numbers\`). */
export const summarize = defineTask<unknown, Summary, { numbers: number[] }>({
  name: 'summarize',
  description: 'Count, total and mean of the numbers from the step "numbers"',
  run(ctx) {
    const numbers = ctx.results.numbers;
    const total = numbers.reduce((sum, n) => sum + n, 0);
    return { count: numbers.length, total, mean: numbers.length === 0 ? 0 : total / numbers.length };
  },
});

/** A flow in code: the two tasks as steps; \`needs\` passes the output of one to the other. */
export const stats = defineFlow({
  name: 'stats',
  description: 'Load numbers, then summarize them',
  steps: {
    numbers: { task: loadNumbers },
    summary: { task: summarize, needs: ['numbers'] },
  },
});
`;

/**
 * The same tasks in JavaScript, made from TASKS_TS so the two never drift apart: its type-only
 * parts (the exported interfaces, the type arguments of defineTask/defineFlow) are removed.
 */
export const TASKS_JS = typeScriptToJavaScript(TASKS_TS);

/**
 * TASKS_TS without its types. Only the two type-only forms the template uses are known: anything
 * else TypeScript-only in it is refused here (and by the test that runs the result through Node).
 */
export function typeScriptToJavaScript(source: string): string {
  const js = source
    // An exported interface and the blank line after it.
    .replace(/^export interface \w+ \{\n(?:[^\n]*\n)*?\}\n\n/gm, '')
    // Type arguments: defineTask<In, Out, Needs>( → defineTask(
    .replace(/\b(define(?:Task|Flow))<[^\n]*?>\(/g, '$1(');
  const left = /^export (?:interface|type) |\bdefine(?:Task|Flow)</m.exec(js);
  if (left !== null) throw new Error(`create-cascadence: the task template has TypeScript-only syntax with no JavaScript form: ${left[0]}`);
  return js;
}

export function renderReportFlow({ parts }: ProjectOptions): string {
  const lines = [
    '# A flow written in YAML: steps name tasks (src/) or processors (plugins) and say what they need.',
    '# npx task run report        npx task run report --input \'{"numbers": [2, 4, 9]}\'',
    'name: report',
    'description: Load numbers, summarize them' + (parts.shell ? ', print the summary' : ''),
    'steps:',
    '  numbers:',
    '    task: load-numbers',
    '  summary:',
    '    task: summarize',
    '    needs: [numbers]',
  ];
  if (parts.shell) {
    lines.push(
      '  print:',
      '    uses: shell                # from @cascadence/plugin-shell',
      '    needs: [summary]',
      '    timeoutMs: 10000',
      '    with:',
      '      # run by /bin/sh; the outputs of `needs` arrive as CASCADENCE_RESULT_<STEP>[_<FIELD>]',
      '      command: echo "mean $CASCADENCE_RESULT_SUMMARY_MEAN of $CASCADENCE_RESULT_SUMMARY_COUNT numbers"',
    );
  }
  return `${lines.join('\n')}\n`;
}

export const PING_FLOW = `# An HTTP request as a flow step (@cascadence/plugin-http): npx task run ping
name: ping
description: Check that a web site answers
steps:
  site:
    uses: http
    retry: { attempts: 3, backoff: exponential, delayMs: 500 }
    with:
      url: https://example.com/
      timeoutMs: 5000
      expectStatus: [200]
`;

export const SCHEDULES = `# Task or flow name → crontab expression (or { cron, timezone, overlap, catchUp, jitter, paused }).
# Run them with \`npx task scheduler\`; change them with \`npx task schedule NAME "CRON"\`.
report: "0 7 * * 1-5"
`;
