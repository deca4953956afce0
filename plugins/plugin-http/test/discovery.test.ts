import { packageDir, TempProject } from './temp-project';
import { startServer, type TestServer } from './server';

jest.setTimeout(30_000);

describe('@cascadence/plugin-http installed in a project', () => {
  let project: TempProject;
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
    project = new TempProject({ '@cascadence/plugin-http': '^0.1.0' });
    project.link('@cascadence/plugin-http', packageDir);
  });
  afterAll(async () => {
    project.remove();
    await server.close();
  });

  it('is discovered by loadPlugins from node_modules and its processor runs a `uses: http` step', async () => {
    const out = await project.run<Record<string, unknown>>(`
      import { createRequire } from 'node:module';
      import { defineFlow, Engine, loadPlugins, silentLogger } from '@cascadence/core';
      const problems = [];
      const result = await loadPlugins({ projectDir: process.cwd(), onProblem: (p) => problems.push(p.error.message) });
      const engine = new Engine({ resolver: result.registry, logger: silentLogger });
      const flow = defineFlow({ name: 'discovered', steps: {
        get: { uses: 'http', with: { url: ${JSON.stringify(`${server.url}/json`)} } },
      } });
      const run = await engine.run(flow);
      const cjs = createRequire(import.meta.url)('@cascadence/plugin-http');
      console.log(JSON.stringify({
        loaded: result.loaded.map((p) => ({ name: p.name, version: p.version, origin: p.origin })),
        processors: result.registry.processors().map((p) => p.name),
        problems,
        status: run.status,
        body: run.steps.get.output.body,
        cjsDefault: cjs.default.name,
        cjsNamed: cjs.http.name,
      }));
    `);
    expect(out).toEqual({
      loaded: [{ name: '@cascadence/plugin-http', version: '0.1.0', origin: 'dependency' }],
      processors: ['http'],
      problems: [],
      status: 'succeeded',
      body: { hello: 'world', n: 1 },
      cjsDefault: '@cascadence/plugin-http',
      cjsNamed: 'http',
    });
  });
});
