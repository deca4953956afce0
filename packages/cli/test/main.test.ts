import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { cliRoot, Project } from './cli-harness';

describe('main(args) in process', () => {
  it('runs commands with the given args, never reads process.argv, never exits, and rejects on failure', () => {
    const project = new Project();
    try {
      const script = `
        process.argv = [process.execPath, 'x', 'run', 'this-would-fail'];
        const { main, exitCodeOf } = await import(${JSON.stringify(join(cliRoot, 'dist', 'index.js'))});
        const writes = [];
        const write = process.stdout.write.bind(process.stdout);
        process.stdout.write = (chunk, ...rest) => { writes.push(String(chunk)); return true; };
        await main(['list', '--json']);
        await main(['run', 'example', '--json']);
        let rejected;
        try { await main(['run', 'no-such-task']); } catch (error) { rejected = { message: error.message, exit: exitCodeOf(error) }; }
        let usage;
        try { await main(['frobnicate']); } catch (error) { usage = { message: error.message, exit: exitCodeOf(error) }; }
        await main();
        process.stdout.write = write;
        console.log(JSON.stringify({ writes, rejected, usage, exitCode: process.exitCode ?? null, alive: true }));
      `;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project.dir, encoding: 'utf8' });
      const result = JSON.parse(out.trim().split('\n').pop() as string);
      expect(JSON.parse(result.writes[0]).map((e: { name: string }) => e.name)).toEqual(['example']);
      expect(JSON.parse(result.writes[1]).status).toBe('succeeded');
      expect(result.rejected).toEqual({ message: 'unknown task "no-such-task"', exit: 1 });
      expect(result.usage).toEqual({ message: 'unknown command "frobnicate"; run "task --help" for the list', exit: 2 });
      expect(result.writes.join('')).toContain('USAGE');
      expect(result.exitCode).toBeNull();
      expect(result.alive).toBe(true);
    } finally {
      project.remove();
    }
  });
});
