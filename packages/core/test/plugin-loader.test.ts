import { cjsPlugin, esmPlugin, manifest, TempProject } from './plugin-project';

interface Problem {
  plugin: string;
  path?: string;
  code: string;
  message: string;
}

jest.setTimeout(30_000);

describe('loadPlugins with real packages in a temp project', () => {
  let project: TempProject;

  beforeAll(() => {
    project = new TempProject(
      {
        'cascadence-plugin-alpha': '1.0.0',
        '@acme/cascadence-plugin-s3': '1.0.0',
        '@acme/cascadence-plugin': '1.0.0',
        '@cascadence/plugin-fake': '1.0.0',
        'cascadence-plugin-nomanifest': '1.0.0',
        'cascadence-plugin-future': '1.0.0',
        'cascadence-plugin-throws': '1.0.0',
        'cascadence-plugin-shape': '1.0.0',
        'not-a-plugin': '1.0.0',
      },
      { 'cascadence-plugin-devtool': '1.0.0' },
    );
    project.install({
      name: 'cascadence-plugin-alpha',
      type: 'module',
      manifest: manifest(['task', 'processor']),
      source: esmPlugin('cascadence-plugin-alpha', 'alpha-task', 'alpha-upper'),
      pnpmLayout: true,
    });
    project.install({
      name: '@acme/cascadence-plugin-s3',
      manifest: manifest(['task']),
      source: cjsPlugin('@acme/cascadence-plugin-s3', 's3-sync'),
    });
    project.install({
      name: '@acme/cascadence-plugin',
      type: 'module',
      manifest: manifest(['task', 'processor']),
      main: 'dist/main.js',
      exports: { '.': { import: './dist/main.js', require: './dist/missing.cjs' } },
      source: esmPlugin('@acme/cascadence-plugin', 'acme-task', 'acme-upper'),
    });
    project.install({
      name: '@cascadence/plugin-fake',
      manifest: manifest(['task']),
      source: cjsPlugin('@cascadence/plugin-fake', 'fake-task'),
    });
    project.install({ name: 'cascadence-plugin-nomanifest', source: cjsPlugin('cascadence-plugin-nomanifest', 'never-task') });
    project.install({
      name: 'cascadence-plugin-future',
      manifest: { apiVersion: 2, provides: ['processor'], processors: ['future-proc'] },
      source: 'throw new Error("must not be imported")',
    });
    project.install({
      name: 'cascadence-plugin-throws',
      type: 'module',
      manifest: manifest(['task']),
      source: 'throw new Error("kaboom at import");',
    });
    project.install({ name: 'cascadence-plugin-shape', type: 'module', manifest: manifest(['task']), source: 'export default 42;' });
    project.install({ name: 'not-a-plugin', manifest: manifest(['task']), source: cjsPlugin('not-a-plugin', 'sneaky-task') });
    project.install({
      name: 'cascadence-plugin-devtool',
      manifest: manifest(['task']),
      source: cjsPlugin('cascadence-plugin-devtool', 'dev-task'),
    });
    // Installed but not declared in package.json: must never load.
    project.install({
      name: 'cascadence-plugin-undeclared',
      manifest: manifest(['task']),
      source: cjsPlugin('cascadence-plugin-undeclared', 'undeclared-task'),
    });
  });

  afterAll(() => project.remove());

  it('loads every good plugin (scoped, unscoped, ESM, CJS, pnpm layout) and reports each broken one once', async () => {
    const out = await project.run<{
      loaded: string[];
      skipped: Array<{ plugin: string; reason: string }>;
      problems: Problem[];
      tasks: Array<{ name: string; source: string }>;
      processors: string[];
    }>(`
      const result = await core.loadPlugins({ projectDir, plugins: ['missing'], onProblem });
      return {
        loaded: result.loaded.map((p) => p.name),
        skipped: result.skipped.map(({ plugin, reason }) => ({ plugin, reason })),
        problems,
        tasks: result.registry.list().map(({ name, source }) => ({ name, source })),
        processors: result.registry.processors().map((p) => p.name),
      };
    `);
    expect(out.loaded).toEqual([
      '@acme/cascadence-plugin',
      '@acme/cascadence-plugin-s3',
      '@cascadence/plugin-fake',
      'cascadence-plugin-alpha',
      'cascadence-plugin-devtool',
    ]);
    expect(out.tasks).toEqual([
      { name: 'acme-task', source: '@acme/cascadence-plugin' },
      { name: 'alpha-task', source: 'cascadence-plugin-alpha' },
      { name: 'dev-task', source: 'cascadence-plugin-devtool' },
      { name: 'fake-task', source: '@cascadence/plugin-fake' },
      { name: 's3-sync', source: '@acme/cascadence-plugin-s3' },
    ]);
    expect(out.processors).toEqual(['acme-upper', 'alpha-upper']);
    expect(out.skipped).toEqual([{ plugin: 'cascadence-plugin-nomanifest', reason: 'no "cascadence" manifest in package.json' }]);

    const byPlugin = Object.fromEntries(out.problems.map((p) => [p.plugin, p]));
    expect(Object.keys(byPlugin).sort()).toEqual([
      'cascadence-plugin-future',
      'cascadence-plugin-missing',
      'cascadence-plugin-shape',
      'cascadence-plugin-throws',
    ]);
    expect(out.problems).toHaveLength(4);
    for (const p of out.problems) expect(p.code).toBe('CASCADENCE_PLUGIN_LOAD');
    expect(byPlugin['cascadence-plugin-future']?.message).toMatch(
      /^plugin cascadence-plugin-future \(.*node_modules\/cascadence-plugin-future\) failed to load: it declares plugin apiVersion 2, but this @cascadence\/core supports 1$/,
    );
    expect(byPlugin['cascadence-plugin-throws']?.message).toContain('failed to load: kaboom at import');
    expect(byPlugin['cascadence-plugin-throws']?.path).toMatch(/node_modules\/cascadence-plugin-throws$/);
    expect(byPlugin['cascadence-plugin-shape']?.message).toContain(
      'its default export is not a plugin: the export is number, not a plugin object',
    );
    expect(byPlugin['cascadence-plugin-missing']?.message).toContain(
      `plugin cascadence-plugin-missing is not installed in ${project.dir} (run: npm install cascadence-plugin-missing)`,
    );
  });

  it('runs plugin tasks and processors through the engine; a broken plugin errors only when its names are used', async () => {
    const out = await project.run<Record<string, unknown>>(`
      const result = await core.loadPlugins({ projectDir, onProblem });
      const engine = new core.Engine({ resolver: result.registry, logger: core.silentLogger });
      const flow = core.defineFlow({
        name: 'uses-plugins',
        steps: {
          a: { task: 'alpha-task', with: 7 },
          s3: { task: 's3-sync' },
          shout: { uses: 'alpha-upper', with: { text: 'hi' }, needs: ['a'] },
        },
      });
      const run = await engine.run(flow);
      const errorOf = async (fn) => { try { await fn(); return null; } catch (e) { return { code: e.code, message: e.message }; } };
      return {
        status: run.status,
        a: run.steps.a.output,
        s3: run.steps.s3.output,
        shout: run.steps.shout.output,
        future: await errorOf(() => engine.run(core.defineFlow({ name: 'f', steps: { x: { uses: 'future-proc' } } }))),
        undeclared: await errorOf(() => result.registry.get('undeclared-task')),
        sneaky: await errorOf(() => result.registry.get('sneaky-task')),
        problemsBeforeUse: problems.length,
      };
    `);
    expect(out).toMatchObject({
      status: 'succeeded',
      a: { from: 'cascadence-plugin-alpha', input: 7 },
      s3: 'cjs:@acme/cascadence-plugin-s3',
      shout: 'HI',
      problemsBeforeUse: 3,
    });
    expect(out.future).toEqual({
      code: 'CASCADENCE_PLUGIN_LOAD',
      message: expect.stringContaining('flow "f", step "x": plugin cascadence-plugin-future'),
    });
    // Names a plugin did not declare stay unknown, but the message points at the plugins that failed.
    expect(out.undeclared).toMatchObject({
      code: 'CASCADENCE_UNKNOWN_TASK',
      message: expect.stringContaining('it may come from a plugin that failed to load: plugin cascadence-plugin-shape'),
    });
    expect(out.sneaky).toMatchObject({ code: 'CASCADENCE_UNKNOWN_TASK' });
  });

  it('prints one warning line per broken plugin by default', async () => {
    const out = await project.run<string[]>(`
      const lines = [];
      console.warn = (...args) => lines.push(args.join(' '));
      await core.loadPlugins({ projectDir });
      return lines;
    `);
    expect(out).toHaveLength(3);
    expect(out.every((line) => line.startsWith('cascadence: warning: plugin cascadence-plugin-'))).toBe(true);
  });

  it('a plugin named in the config without a manifest is reported (not silently skipped) and never imported', async () => {
    const out = await project.run<{ loaded: string[]; skipped: string[]; problems: Problem[]; hasTask: boolean }>(`
      const result = await core.loadPlugins({ projectDir, discover: false, plugins: ['nomanifest', 'alpha'], onProblem });
      return { loaded: result.loaded.map((p) => p.name), skipped: result.skipped.map((s) => s.plugin), problems, hasTask: result.registry.has('never-task') };
    `);
    expect(out.loaded).toEqual(['cascadence-plugin-alpha']);
    expect(out.skipped).toEqual([]);
    expect(out.hasTask).toBe(false);
    expect(out.problems).toHaveLength(1);
    expect(out.problems[0]).toMatchObject({ plugin: 'cascadence-plugin-nomanifest', code: 'CASCADENCE_PLUGIN_LOAD' });
    expect(out.problems[0]?.message).toMatch(
      /^plugin cascadence-plugin-nomanifest \(.*node_modules\/cascadence-plugin-nomanifest\) failed to load: its package\.json has no "cascadence" manifest/,
    );
  });

  it('production mode skips devDependencies; deny and discover:false are honoured', async () => {
    const out = await project.run<Record<string, string[]>>(`
      const names = (r) => r.loaded.map((p) => p.name);
      const production = await core.loadPlugins({ projectDir, production: true, onProblem });
      const denied = await core.loadPlugins({ projectDir, deny: ['alpha', '@acme/s3', 'throws'], onProblem: () => {} });
      const explicitOnly = await core.loadPlugins({ projectDir, discover: false, plugins: ['@acme/s3', 'cascadence-plugin-alpha'], onProblem });
      const none = await core.loadPlugins({ projectDir, discover: false });
      return {
        production: names(production),
        denied: names(denied),
        deniedSkipped: denied.skipped.filter((s) => s.reason === 'denied by the config').map((s) => s.plugin),
        explicitOnly: names(explicitOnly),
        none: names(none),
      };
    `);
    expect(out.production).not.toContain('cascadence-plugin-devtool');
    expect(out.production).toContain('cascadence-plugin-alpha');
    expect(out.denied).not.toContain('cascadence-plugin-alpha');
    expect(out.denied).not.toContain('@acme/cascadence-plugin-s3');
    expect(out.denied).toContain('@acme/cascadence-plugin');
    expect(out.deniedSkipped?.sort()).toEqual(['@acme/cascadence-plugin-s3', 'cascadence-plugin-alpha', 'cascadence-plugin-throws']);
    expect(out.explicitOnly).toEqual(['@acme/cascadence-plugin-s3', 'cascadence-plugin-alpha']);
    expect(out.none).toEqual([]);
  });
});

describe('loadPlugins edge cases', () => {
  it('two plugins providing the same name: an error naming both, the rest of both still works', async () => {
    const project = new TempProject({ 'cascadence-plugin-one': '1', 'cascadence-plugin-two': '1' });
    try {
      project.install({
        name: 'cascadence-plugin-one',
        type: 'module',
        manifest: manifest(['task', 'processor']),
        source: esmPlugin('cascadence-plugin-one', 'deploy', 'one-proc'),
      });
      project.install({
        name: 'cascadence-plugin-two',
        type: 'module',
        manifest: manifest(['task', 'processor']),
        source: esmPlugin('cascadence-plugin-two', 'deploy', 'two-proc'),
      });
      const out = await project.run<Record<string, unknown>>(`
        const result = await core.loadPlugins({ projectDir, onProblem });
        let deploy;
        try { result.registry.get('deploy'); } catch (e) { deploy = { code: e.code, message: e.message }; }
        return { problems, deploy, processors: result.registry.processors().map((p) => p.name), loaded: result.loaded.map((p) => p.name) };
      `);
      expect(out.problems).toEqual([
        {
          plugin: 'cascadence-plugin-two',
          path: expect.stringContaining('cascadence-plugin-two'),
          code: 'CASCADENCE_PLUGIN_CONFLICT',
          message: 'task "deploy" is provided by both cascadence-plugin-one and cascadence-plugin-two',
        },
      ]);
      expect(out.deploy).toEqual({
        code: 'CASCADENCE_PLUGIN_CONFLICT',
        message: 'task "deploy" is provided by both cascadence-plugin-one and cascadence-plugin-two',
      });
      expect(out.processors).toEqual(['one-proc', 'two-proc']);
      expect(out.loaded).toEqual(['cascadence-plugin-one', 'cascadence-plugin-two']);
    } finally {
      project.remove();
    }
  });

  it('imports plugins one at a time, in name order, so a plugin that hangs or blocks is the one named', async () => {
    const deps = Object.fromEntries(['c', 'a', 'b'].map((x) => [`cascadence-plugin-slow-${x}`, '1']));
    const project = new TempProject(deps);
    try {
      for (const x of ['a', 'b', 'c']) {
        // Each module records when its import starts and ends: loading in parallel would interleave them.
        project.install({
          name: `cascadence-plugin-slow-${x}`,
          type: 'module',
          manifest: manifest(['task']),
          source: `
            import { definePlugin, defineTask } from '@cascadence/core';
            (globalThis.__order ??= []).push('start ${x}');
            await new Promise((r) => setTimeout(r, 20));
            globalThis.__order.push('end ${x}');
            export default definePlugin({ name: 'slow-${x}', apiVersion: 1, tasks: [defineTask({ name: 'slow-${x}', run: () => 1 })] });
          `,
        });
      }
      const out = await project.run<{ loaded: number; problems: Problem[]; order: string[] }>(`
        const result = await core.loadPlugins({ projectDir, onProblem });
        return { loaded: result.loaded.length, problems, order: globalThis.__order };
      `);
      expect(out.order).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
      expect(out).toEqual({ loaded: 3, problems: [], order: out.order });
    } finally {
      project.remove();
    }
  });

  it('runs setup(host), reports a throwing setup, loads project-relative files and refuses paths outside the project', async () => {
    const project = new TempProject({ 'cascadence-plugin-setup': '1', 'cascadence-plugin-badsetup': '1' });
    try {
      project.install({
        name: 'cascadence-plugin-setup',
        manifest: manifest(['task']),
        source: `
          const { definePlugin, defineTask } = require('@cascadence/core');
          module.exports = definePlugin({ name: 'setup', apiVersion: 1, setup(host) {
            host.registry.add(defineTask({ name: 'made-in-setup', run: () => host.projectDir }), 'cascadence-plugin-setup');
          } });
        `,
      });
      project.install({
        name: 'cascadence-plugin-badsetup',
        manifest: manifest(['task']),
        source: `const { definePlugin } = require('@cascadence/core');
          module.exports = definePlugin({ name: 'bad', apiVersion: 1, setup() { throw new Error('setup exploded'); } });`,
      });
      project.write(
        'plugins/local.mjs',
        `
        import { definePlugin, defineTask } from '@cascadence/core';
        export default definePlugin({ name: 'local', apiVersion: 1, tasks: [defineTask({ name: 'local-task', run: () => 'local' })] });
      `,
      );
      const out = await project.run<{ tasks: string[]; problems: Problem[]; ran: unknown }>(`
        const result = await core.loadPlugins({ projectDir, plugins: ['./plugins/local.mjs', '../elsewhere.mjs'], onProblem });
        const engine = new core.Engine({ resolver: result.registry });
        const ran = (await engine.run(result.registry.get('made-in-setup'))).output;
        return { tasks: result.registry.list().map((t) => t.name), problems, ran };
      `);
      expect(out.tasks).toEqual(['local-task', 'made-in-setup']);
      expect(out.ran).toBe(project.dir);
      expect(out.problems.map((p) => [p.plugin, p.message])).toEqual([
        ['../elsewhere.mjs', expect.stringContaining('is outside the project')],
        ['cascadence-plugin-badsetup', expect.stringContaining('failed to load: setup exploded')],
      ]);
    } finally {
      project.remove();
    }
  });

  it('needs: a plugin whose manifest provides none of it is checked but not imported; the rest load as before', async () => {
    const project = new TempProject({
      'cascadence-plugin-procs': '1.0.0',
      'cascadence-plugin-procs-broken': '1.0.0',
      'cascadence-plugin-both': '1.0.0',
      'cascadence-plugin-unsaid': '1.0.0',
      'cascadence-plugin-procs-future': '1.0.0',
      'cascadence-plugin-procs-missing': '1.0.0',
      'cascadence-plugin-procs-denied': '1.0.0',
    });
    // Each plugin records its import, so the test sees what was imported, not only what registered.
    const recorded = (name: string, source: string) =>
      `globalThis.imported = [...(globalThis.imported ?? []), ${JSON.stringify(name)}];\n${source}`;
    try {
      const procsOnly = `
        import { definePlugin, defineProcessor } from '@cascadence/core';
        export default definePlugin({ name: 'cascadence-plugin-procs', apiVersion: 1,
          processors: [defineProcessor({ name: 'proc', options: {}, run: () => 1 })] });
      `;
      project.install({
        name: 'cascadence-plugin-procs',
        type: 'module',
        manifest: manifest(['processor', 'backend']),
        source: recorded('procs', procsOnly),
      });
      project.install({
        name: 'cascadence-plugin-procs-broken',
        type: 'module',
        manifest: manifest(['processor'], { processors: ['broken-proc'] }),
        source: recorded('procs-broken', 'throw new Error("kaboom");'),
      });
      project.install({
        name: 'cascadence-plugin-both',
        type: 'module',
        manifest: manifest(['processor', 'task']),
        source: recorded('both', esmPlugin('cascadence-plugin-both', 'both-task', 'both-proc')),
      });
      // An empty `provides` says nothing: imported.
      project.install({
        name: 'cascadence-plugin-unsaid',
        type: 'module',
        manifest: manifest([]),
        source: recorded('unsaid', esmPlugin('cascadence-plugin-unsaid', 'unsaid-task', 'unsaid-proc')),
      });
      project.install({
        name: 'cascadence-plugin-procs-future',
        type: 'module',
        manifest: { apiVersion: 2, provides: ['processor'] },
        source: recorded('future', 'throw new Error("must not be imported");'),
      });
      project.install({
        name: 'cascadence-plugin-procs-denied',
        type: 'module',
        manifest: manifest(['processor']),
        source: recorded('denied', ''),
      });
      project.write('local-plugin.mjs', recorded('local', esmPlugin('local', 'local-task', 'local-proc')));
      // One process per call: a module imported once is not imported again.
      const load = (needs: string[] | undefined) =>
        project.run<Record<string, unknown>>(`
          const result = await core.loadPlugins({ projectDir, plugins: ['./local-plugin.mjs'], deny: ['procs-denied'], onProblem, ${needs ? `needs: ${JSON.stringify(needs)}` : ''} });
          return {
            imported: globalThis.imported ?? [],
            loaded: result.loaded.map((p) => p.name),
            skipped: result.skipped.map((s) => s.plugin + ': ' + s.reason),
            problems: problems.map((p) => p.plugin + ': ' + p.message),
            tasks: result.registry.list().map((e) => e.name),
          };
        `);
      const out = { tasks: await load(['task']), all: await load(undefined), processors: await load(['processor']) };
      expect(out.tasks).toEqual({
        imported: ['local', 'both', 'unsaid'],
        loaded: ['./local-plugin.mjs', 'cascadence-plugin-both', 'cascadence-plugin-unsaid'],
        skipped: [
          'cascadence-plugin-procs-denied: denied by the config',
          expect.stringMatching(
            /^cascadence-plugin-procs: its manifest provides processor, backend, and only task was needed; not imported$/,
          ),
          expect.stringMatching(
            /^cascadence-plugin-procs-broken: its manifest provides processor, and only task was needed; not imported$/,
          ),
        ],
        // Found to be missing or unsupported without importing anything: reported as before.
        problems: [
          expect.stringMatching(/^cascadence-plugin-procs-future: .*declares plugin apiVersion 2/),
          expect.stringMatching(/^cascadence-plugin-procs-missing: .*is not installed/),
        ],
        tasks: ['both-task', 'local-task', 'unsaid-task'],
      });
      expect(out.all).toMatchObject({
        imported: ['local', 'both', 'procs', 'procs-broken', 'unsaid'],
        problems: [
          expect.stringMatching(/^cascadence-plugin-procs-broken: .*kaboom/),
          expect.stringMatching(/^cascadence-plugin-procs-future: /),
          expect.stringMatching(/^cascadence-plugin-procs-missing: /),
        ],
        tasks: ['both-task', 'local-task', 'unsaid-task'],
      });
      await expect(project.run(`return await core.loadPlugins({ projectDir, needs: ['tasks'] });`)).rejects.toThrow(
        /option "needs" must be a list of processor, task, backend, scheduler, instrumentation, got \["tasks"\]/,
      );
      expect(out.processors).toMatchObject({ imported: ['local', 'both', 'procs', 'procs-broken', 'unsaid'] });
    } finally {
      project.remove();
    }
  });

  it('a project without plugins loads nothing and reports nothing', async () => {
    const project = new TempProject({ lodash: '4' });
    try {
      const out = await project.run(`
        const result = await core.loadPlugins({ projectDir, onProblem });
        return { loaded: result.loaded.length, failed: result.failed.length, skipped: result.skipped.length, problems };
      `);
      expect(out).toEqual({ loaded: 0, failed: 0, skipped: 0, problems: [] });
    } finally {
      project.remove();
    }
  });
});
