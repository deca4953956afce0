import { packageDir, TempProject } from './temp-project';
import { processRunning, waitUntilGone } from './helpers';

jest.setTimeout(30_000);

describe('@cascadence/plugin-shell installed in a project', () => {
  let project: TempProject;
  beforeAll(() => {
    project = new TempProject({ '@cascadence/plugin-shell': '^0.1.0' });
    project.link('@cascadence/plugin-shell', packageDir);
  });
  afterAll(() => project.remove());

  it('is discovered by loadPlugins from node_modules and its processor runs a `uses: shell` step', async () => {
    const out = await project.run<Record<string, unknown>>(`
      import { createRequire } from 'node:module';
      import { defineFlow, Engine, loadPlugins, silentLogger } from '@cascadence/core';
      const problems = [];
      const result = await loadPlugins({ projectDir: process.cwd(), onProblem: (p) => problems.push(p.error.message) });
      const engine = new Engine({ resolver: result.registry, logger: silentLogger });
      const flow = defineFlow({ name: 'discovered', steps: {
        hello: { uses: 'shell', with: { args: ['echo', 'from the plugin'] } },
        shout: { uses: 'shell', needs: ['hello'], with: { command: 'echo "$CASCADENCE_RESULT_HELLO_STDOUT" | tr a-z A-Z' } },
      } });
      const run = await engine.run(flow);
      const cjs = createRequire(import.meta.url)('@cascadence/plugin-shell');
      console.log(JSON.stringify({
        loaded: result.loaded.map((p) => ({ name: p.name, version: p.version, origin: p.origin })),
        processors: result.registry.processors().map((p) => p.name),
        problems,
        status: run.status,
        shout: run.steps.shout.output.stdout,
        cjsDefault: cjs.default.name,
        cjsNamed: cjs.shell.name,
      }));
    `);
    expect(out).toEqual({
      loaded: [{ name: '@cascadence/plugin-shell', version: '0.1.0', origin: 'dependency' }],
      processors: ['shell'],
      problems: [],
      status: 'succeeded',
      shout: 'FROM THE PLUGIN',
      cjsDefault: '@cascadence/plugin-shell',
      cjsNamed: 'shell',
    });
  });

  it('when the process exits while a command runs, the command tree is terminated too', async () => {
    const out = await project.run<{ grandchild: number; shell: number }>(`
      import { existsSync, readFileSync } from 'node:fs';
      import { silentLogger } from '@cascadence/core';
      import { runShell } from '@cascadence/plugin-shell';
      const dir = process.cwd();
      const ctx = { runId: 'r', task: 'shell', stepId: 's', flow: undefined, attempt: 1, signal: new AbortController().signal, log: silentLogger, results: {} };
      runShell(ctx, { command: 'sleep 30 & echo $! > grandchild.pid; echo $$ > shell.pid; sleep 30' }).catch(() => {});
      while (!existsSync(dir + '/shell.pid') || readFileSync(dir + '/shell.pid', 'utf8').trim() === '') await new Promise((r) => setTimeout(r, 10));
      process.stdout.write(JSON.stringify({
        grandchild: Number(readFileSync(dir + '/grandchild.pid', 'utf8')),
        shell: Number(readFileSync(dir + '/shell.pid', 'utf8')),
      }));
      process.exit(0);
    `);
    expect(out.grandchild).toBeGreaterThan(0);
    expect(await waitUntilGone(out.grandchild)).toBe(true);
    expect(await waitUntilGone(out.shell)).toBe(true);
    expect(processRunning(out.grandchild)).toBe(false);
  });
});
