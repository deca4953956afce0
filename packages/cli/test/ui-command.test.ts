import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliRoot, Project } from './cli-harness';

// `task ui` as a process: the network rule, the token, stopping on a signal, and lazy loading.
describe('task ui (the command)', () => {
  let project: Project;
  beforeAll(() => {
    project = new Project({
      'cascadence.config.mjs': `export default { tasks: ['./tasks.mjs'] };\n`,
      'tasks.mjs': `export const t = { kind: 'task', name: 't', run: () => 1 };\n`,
    });
  });
  afterAll(() => project.remove());

  test('a non-loopback --host without a token is refused and nothing listens', () => {
    const result = project.task(['ui', '--host', '0.0.0.0', '--port', '0'], { CASCADENCE_UI_TOKEN: '' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/--host 0\.0\.0\.0 is reachable from other machines: give a token with --token or CASCADENCE_UI_TOKEN/);
    expect(result.stdout).not.toMatch(/dashboard:/);
  });

  test('with CASCADENCE_UI_TOKEN it serves only requests carrying the token, and SIGTERM stops it with exit 0', async () => {
    const token = 'e2e-token-0123456789abcdef';
    const ui = project.start(['ui', '--host', '0.0.0.0', '--port', '0'], { CASCADENCE_UI_TOKEN: token });
    try {
      const line = await ui.waitFor(/dashboard: http:\/\/\S+/, 30_000);
      const url = new URL(line.slice('dashboard: '.length));
      expect(url.searchParams.get('token')).toBe(token);
      const api = `http://127.0.0.1:${url.port}/api/runs`;
      expect((await fetch(api)).status).toBe(401);
      expect((await fetch(api, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      ui.child.kill('SIGTERM');
      expect(await ui.exited(15_000)).toBe(0);
    } finally {
      if (ui.child.exitCode === null) ui.child.kill('SIGKILL');
    }
  });

  test('the dashboard is loaded only by `task ui`: no other command imports @cascadence/ui', () => {
    const dist = join(cliRoot, 'dist');
    const files = readdirSync(dist).filter((f) => f.endsWith('.js'));
    const statically = files.filter((f) =>
      /\bfrom\s*["']@cascadence\/ui["']|^import\s*["']@cascadence\/ui["']/m.test(readFileSync(join(dist, f), 'utf8')),
    );
    const dynamically = files.filter((f) => /import\(\s*["']@cascadence\/ui["']\s*\)/.test(readFileSync(join(dist, f), 'utf8')));
    expect(statically).toEqual([]);
    expect(dynamically).toHaveLength(1);
  });
});
