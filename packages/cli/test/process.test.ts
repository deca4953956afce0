import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Project, waitUntilGone } from './cli-harness';

// The `task` binary as a process (issue 15): what it prints for odd outputs, when it exits, and
// what it does with stop signals. Every test runs the built binary in a real temp project.
jest.setTimeout(90_000);

const config = `export default { tasks: ['./tasks.mjs'] };\n`;

/** A project whose tasks.mjs is `body` (with @cascadence/core linked). */
function projectWith(body: string, files: Record<string, string> = {}): Project {
  const project = new Project({
    'cascadence.config.mjs': config,
    'tasks.mjs': `import { defineTask, defineFlow } from '@cascadence/core';\n${body}`,
    ...files,
  });
  project.linkCore();
  return project;
}

/** A project with @cascadence/plugin-shell installed, and `flows`. */
function shellProject(flows: Record<string, string>): Project {
  const project = new Project({
    'package.json': JSON.stringify({
      name: 'shell-project',
      private: true,
      type: 'module',
      dependencies: { '@cascadence/plugin-shell': '*' },
    }),
    ...Object.fromEntries(Object.entries(flows).map(([name, text]) => [`flows/${name}.yml`, text])),
  });
  project.linkCore();
  project.link('@cascadence/plugin-shell');
  return project;
}

const pidIn = (project: Project, file: string): number => Number(readFileSync(join(project.dir, file), 'utf8').trim());

describe('item 1: a succeeded run whose output JSON cannot hold', () => {
  const outputs = `
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const circular = { name: 'loop' };
    circular.self = circular;
    let deep = 'bottom';
    for (let i = 0; i < 60000; i++) deep = { d: deep };
    export const big = defineTask({ name: 'big', run: () => ({ total: 10n ** 30n }) });
    export const circ = defineTask({ name: 'circ', run: () => circular });
    export const throwing = defineTask({ name: 'throwing', run: () => ({ toJSON() { throw new Error('toJSON refuses'); } }) });
    export const revoked = defineTask({ name: 'revoked', run: () => proxy });
    export const nested = defineTask({ name: 'nested', run: () => deep });
    export const mixed = defineFlow({ name: 'mixed', steps: { a: { run: () => 1n }, b: { needs: ['a'], run: () => ({ ok: true, loop: circular }) } } });
  `;

  it('exits 0, prints the output with the parts JSON cannot hold marked, and names the task in one warning', () => {
    const project = projectWith(outputs);
    try {
      const cases: Array<[string, RegExp]> = [
        ['big', /"total": \{\s*"\$unserialisable": "BigInt 1000000000000000000000000000000n"\s*\}/],
        ['circ', /"self": \{\s*"\$unserialisable": "circular reference to \$"\s*\}/],
        ['throwing', /"\$unserialisable": "toJSON threw: toJSON refuses"/],
        ['revoked', /"\$unserialisable": "cannot be read: .*revoked/],
        ['nested', /"\$unserialisable": "nested deeper than 100 levels"/],
      ];
      for (const [name, marked] of cases) {
        const { code, stdout, stderr } = project.task(['run', name]);
        expect({ name, code, stderr }).toEqual({
          name,
          code: 0,
          stderr: expect.stringMatching(new RegExp(`^warning: the output of task "${name}" has a value JSON cannot hold`)),
        });
        expect(stdout).toMatch(new RegExp(`^${name} succeeded in `));
        expect(stdout).toMatch(marked);
        expect(stderr.trim().split('\n')).toHaveLength(1);
      }
    } finally {
      project.remove();
    }
  });

  it('a flow: step lines, result and exit code agree (succeeded, 0); --json is valid JSON with the marked values', () => {
    const project = projectWith(outputs);
    try {
      const human = project.task(['run', 'mixed']);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/✓ a \(/);
      expect(human.stdout).toMatch(/mixed succeeded in/);
      expect(human.stderr).toMatch(/^warning: the output of flow "mixed" has a value JSON cannot hold.*\$\.b\.loop\.self: circular/);

      const json = project.task(['run', 'mixed', '--json']);
      expect(json.code).toBe(0);
      const result = JSON.parse(json.stdout);
      expect(result.status).toBe('succeeded');
      expect(result.steps.a.output).toEqual({ $unserialisable: 'BigInt 1n' });
      expect(result.output.b.loop.self).toEqual({ $unserialisable: 'circular reference to an enclosing value' });
    } finally {
      project.remove();
    }
  });
});

describe('item 13: --json times and errors', () => {
  it('startedAt is an ISO-8601 string for the run and each step; errors are { name, message, code }', () => {
    const project = projectWith(`
      export const late = defineFlow({ name: 'late', steps: {
        ok: { run: () => 1 },
        slow: { timeoutMs: 50, run: () => new Promise((r) => setTimeout(r, 2000)) },
        after: { needs: ['slow'], run: () => 'never' },
      } });
    `);
    try {
      const { code, stdout } = project.task(['run', 'late', '--json']);
      expect(code).toBe(1);
      const result = JSON.parse(stdout);
      const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
      expect(result.startedAt).toMatch(iso);
      expect(result.steps.ok.startedAt).toMatch(iso);
      expect(Math.abs(Date.parse(result.startedAt) - Date.now())).toBeLessThan(10 * 60_000);
      expect(result.error).toEqual({
        name: 'TimeoutError',
        message: 'step "slow" of flow "late" timed out after 50 ms',
        code: 'CASCADENCE_TIMEOUT',
        details: { timeoutMs: 50 },
      });
      expect(result.steps.slow.error).toEqual(result.error);
      // A step that never started has no startedAt at all.
      expect(result.steps.after).toEqual({ status: 'skipped', skipReason: 'upstream-failed', attempts: 0 });
    } finally {
      project.remove();
    }
  });
});

describe('item 2: the process exits once the result is printed', () => {
  it('a step that timed out but left a setInterval behind: the failure is printed and the process exits 1', () => {
    const project = projectWith(`
      export const leaky = defineFlow({ name: 'leaky', steps: {
        tick: { timeoutMs: 100, run: () => new Promise(() => { setInterval(() => {}, 1000); }) },
      } });
    `);
    try {
      // The old binary never exited: spawnSync's timeout would kill it (code null).
      const { code, stdout, stderr } = project.task(['run', 'leaky'], undefined, 20_000);
      expect(code).toBe(1);
      expect(stdout).toMatch(/✗ tick failed: step "tick" of flow "leaky" timed out after 100 ms/);
      expect(stderr).toMatch(/^error: flow "leaky" failed: /m);
    } finally {
      project.remove();
    }
  });

  it('a shell step with killGraceMs: 60000 that ignores SIGTERM: exit right after the failure, and the command does not outlive the CLI', async () => {
    const project = shellProject({
      stubborn: [
        'name: stubborn',
        'steps:',
        '  hold:',
        '    uses: shell',
        '    timeoutMs: 300',
        `    with: { command: "trap '' TERM; echo $$ > hold.pid; while true; do sleep 1; done", killGraceMs: 60000 }`,
        '',
      ].join('\n'),
    });
    try {
      const { code, stdout } = project.task(['run', 'stubborn'], undefined, 30_000);
      expect(code).toBe(1);
      expect(stdout).toMatch(/✗ hold failed: .*timed out after 300 ms/);
      expect(await waitUntilGone(pidIn(project, 'hold.pid'))).toBe(true);
    } finally {
      project.remove();
    }
  });

  it('exiting does not cut the output: a large result reaches a pipe whole', () => {
    const project = projectWith(`export const large = defineTask({ name: 'large', run: () => ({ text: 'x'.repeat(4 * 1024 * 1024) }) });`);
    try {
      const { code, stdout } = project.task(['run', 'large', '--json']);
      expect(code).toBe(0);
      expect(JSON.parse(stdout).output.text).toHaveLength(4 * 1024 * 1024);
    } finally {
      project.remove();
    }
  });

  it('task scheduler exits after the stop deadline even when an aborted run left timers behind (143 on SIGTERM)', async () => {
    const project = projectWith(`
      export const stuck = defineTask({ name: 'stuck', run: (ctx) => new Promise(() => { ctx.log.info('stuck started'); setInterval(() => {}, 1000); }) });
    `);
    try {
      expect(project.task(['schedule', 'stuck', '* * * * * *']).code).toBe(0);
      const scheduler = project.start(['scheduler', '--stop-timeout', '300']);
      await scheduler.waitFor(/stuck started/);
      scheduler.child.kill('SIGTERM');
      expect(await scheduler.exited(20_000)).toBe(143);
      expect(scheduler.output()).toMatch(/SIGTERM received: stopping/);
      expect(scheduler.output()).toMatch(/stopped; running tasks were aborted at the 300 ms deadline/);
    } finally {
      project.remove();
    }
  });
});

describe('item 3: a flow that contains itself', () => {
  it('is refused before the run starts, printing the cycle, in one short error', () => {
    const project = new Project({
      'flows/selfloop.yml': 'name: selfloop\nsteps:\n  again:\n    task: selfloop\n',
      'flows/ping.yml': 'name: ping\nsteps:\n  other:\n    task: pong\n',
      'flows/pong.yml': 'name: pong\nsteps:\n  back:\n    task: ping\n',
    });
    try {
      const self = project.task(['run', 'selfloop']);
      expect(self.code).toBe(1);
      expect(self.stderr).toMatch(/^error: .*selfloop -> selfloop/);
      expect(self.stderr.trim().split('\n')).toHaveLength(1);
      expect(self.stdout).toBe('');

      const ping = project.task(['run', 'ping']);
      expect(ping.code).toBe(1);
      expect(ping.stderr).toMatch(/^error: .*ping -> pong -> ping/);
      expect(ping.stderr.length).toBeLessThan(1000);
    } finally {
      project.remove();
    }
  });
});

describe('item 12: a disabled task as a flow step', () => {
  it('is skipped with reason disabled and never runs; its dependants follow their trigger rules', () => {
    const project = projectWith(`
      import { writeFileSync } from 'node:fs';
      export const touch = defineTask({ name: 'touch', run: () => { writeFileSync(new URL('./touched', import.meta.url), 'ran'); return 'touched'; } });
      export const guarded = defineFlow({ name: 'guarded', steps: {
        first: { task: 'touch' },
        after: { needs: ['first'], run: () => 'after' },
        cleanup: { needs: ['first'], when: 'all-done', run: () => 'cleaned' },
      } });
    `);
    try {
      expect(project.task(['disable', 'touch']).code).toBe(0);
      expect(project.task(['run', 'touch']).stderr).toMatch(/^error: task "touch" is disabled/);
      const human = project.task(['run', 'guarded']);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/^ {2}- first skipped \(disabled\)$/m);
      expect(human.stdout).toMatch(/^ {2}- after skipped \(trigger-rule\)$/m);
      expect(human.stdout).toMatch(/^ {2}✓ cleanup \(/m);
      const json = JSON.parse(project.task(['run', 'guarded', '--json']).stdout);
      expect(json.steps.first).toMatchObject({ status: 'skipped', skipReason: 'disabled', attempts: 0 });
      expect(existsSync(join(project.dir, 'touched'))).toBe(false);

      expect(project.task(['enable', 'touch']).code).toBe(0);
      expect(project.task(['run', 'guarded']).stdout).toMatch(/✓ first \(/);
      expect(existsSync(join(project.dir, 'touched'))).toBe(true);
    } finally {
      project.remove();
    }
  });
});

describe('item 9: one broken flow file', () => {
  it('other commands work and warn once; task list shows the file; running that flow fails with its file, line and column', () => {
    const project = new Project({
      'flows/good.yml': 'name: good\nsteps:\n  hello:\n    task: example\n',
      'flows/broken.yml': 'name: broken\nsteps:\n  a:\n    task: example\n    needs: [zzz]\n',
      'flows/garbled.yml': 'name: garbled\nsteps: [\n',
    });
    try {
      const example = project.task(['run', 'example']);
      expect(example.code).toBe(0);
      const warnings = example.stderr.trim().split('\n');
      expect(warnings).toEqual([
        expect.stringMatching(
          /^warning: flows\/broken\.yml: flow "broken": step "a" needs unknown step "zzz" \(line 4, column 5\) — flow "broken" is unavailable until the file is fixed$/,
        ),
        expect.stringMatching(/^warning: flows\/garbled\.yml: invalid YAML at line \d+, column \d+.* — flow "garbled" is unavailable/),
      ]);
      expect(project.task(['run', 'good']).code).toBe(0);

      const list = project.task(['list']);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(
        /^broken +flow +broken +flows\/broken\.yml: flow "broken": step "a" needs unknown step "zzz" \(line 4, column 5\)$/m,
      );
      expect(list.stdout).toMatch(/^good +flow +enabled/m);
      const json = JSON.parse(project.task(['list', '--json']).stdout);
      expect(json.find((e: { name: string }) => e.name === 'garbled')).toMatchObject({
        kind: 'flow',
        source: 'flows/garbled.yml',
        error: expect.stringMatching(/invalid YAML at line/),
      });

      const run = project.task(['run', 'broken']);
      expect(run.code).toBe(1);
      // Its own error once (not also as a warning), and the other broken file's warning.
      expect(run.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^warning: flows\/garbled\.yml: /),
        'error: flows/broken.yml: flow "broken": step "a" needs unknown step "zzz" (line 4, column 5)',
      ]);
    } finally {
      project.remove();
    }
  });
});

describe('item 10: one format for unknown names, always with a suggestion when one is close', () => {
  it('flags, backends, global flags, commands and processor options', () => {
    const project = shellProject({ typo: 'name: typo\nsteps:\n  a:\n    uses: shell\n    with: { comand: "echo hi" }\n' });
    try {
      const cases: Array<[string[], number, string]> = [
        [['run', 'example', '--jsn'], 2, 'error: unknown flag "--jsn" (did you mean "--json"?); run "task run --help" for the flags'],
        [['list', '--jsn=1'], 2, 'error: unknown flag "--jsn" (did you mean "--json"?); run "task list --help" for the flags'],
        [
          ['run', 'example', '--backend', 'temproal'],
          1,
          'error: unknown backend "temproal" (did you mean "temporal"?); available: local, temporal',
        ],
        [['--versoin'], 2, 'error: unknown flag "--versoin" (did you mean "--version"?); run "task --help" for the list'],
        [['lst'], 2, 'error: unknown command "lst" (did you mean "list"?); run "task --help" for the list'],
        [
          ['run', 'typo'],
          1,
          'error: flow "typo", step "a": unknown option "comand" (did you mean "command"?); accepted: command, args, shell,',
        ],
      ];
      for (const [args, code, line] of cases) {
        const result = project.task(args);
        expect({ args, code: result.code, stderr: result.stderr.startsWith(line) ? line : result.stderr }).toEqual({
          args,
          code,
          stderr: line,
        });
        expect(result.stderr.trim().split('\n')).toHaveLength(1);
      }
      expect(project.task(['--version']).code).toBe(0);
    } finally {
      project.remove();
    }
  });
});

describe('item 11: task schedules', () => {
  it("aligns its columns whatever the zone names, shows times in each entry's own zone, and in UTC with --utc", () => {
    const project = projectWith(
      `
      export const a = defineTask({ name: 'a', run: () => 1 });
      export const longer_name = defineTask({ name: 'longer_name', run: () => 1 });
      export const mid = defineTask({ name: 'mid', run: () => 1 });
    `,
      {
        'schedules.yml': [
          'a: { cron: "0 10 1 1 *", timezone: "America/New_York" }',
          'longer_name: "0 10 1 1 *"',
          'mid: { cron: "0 10 1 1 *", timezone: "Asia/Kolkata" }',
          '',
        ].join('\n'),
      },
    );
    try {
      const own = project.task(['schedules']);
      expect(own.code).toBe(0);
      const lines = own.stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      // Every column starts at the same place on every line.
      for (const marker of ['"0 10', 'next ', 'last ']) expect(new Set(lines.map((line) => line.indexOf(marker))).size).toBe(1);
      expect(lines[0]).toMatch(/^a +"0 10 1 1 \*" +America\/New_York +next \d{4}-01-01 10:00:00-05:00 +last -$/);
      expect(lines[1]).toMatch(/^longer_name +"0 10 1 1 \*" +UTC +next \d{4}-01-01 10:00:00\+00:00 +last -$/);
      expect(lines[2]).toMatch(/^mid +"0 10 1 1 \*" +Asia\/Kolkata +next \d{4}-01-01 10:00:00\+05:30 +last -$/);

      const utc = project.task(['schedules', '--utc']).stdout.trim().split('\n');
      expect(utc[0]).toMatch(/next \d{4}-01-01 15:00:00\+00:00/);
      expect(utc[2]).toMatch(/next \d{4}-01-01 04:30:00\+00:00/);
    } finally {
      project.remove();
    }
  });
});

describe('item 6: shell steps fed by upstream outputs', () => {
  function upstreamProject(): Project {
    const project = shellProject({});
    project.write('cascadence.config.mjs', config);
    project.write(
      'tasks.mjs',
      `
      import { defineFlow } from '@cascadence/core';
      const chunk = 'x'.repeat(60 * 1024);
      const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => ['part' + i, { run: () => chunk }]));
      export const nul = defineFlow({ name: 'nul', steps: {
        dirty: { run: () => 'has\\u0000nul' },
        clean: { run: () => 'fine' },
        echo: { needs: ['dirty', 'clean'], uses: 'shell', with: { command: 'echo "clean=$CASCADENCE_RESULT_CLEAN dirty=\${CASCADENCE_RESULT_DIRTY-unset}"' } },
      } });
      export const strict = defineFlow({ name: 'strict', steps: {
        dirty: { run: () => 'has\\u0000nul' },
        use: { needs: ['dirty'], uses: 'shell', with: { command: 'true', results: ['dirty'] } },
      } });
      export const big = defineFlow({ name: 'big', steps: {
        ...many,
        count: { needs: Object.keys(many), uses: 'shell', with: { command: 'env | grep -c "^CASCADENCE_RESULT_PART"' } },
      } });
      export const collide = defineFlow({ name: 'collide', steps: {
        'build-docs': { run: () => 'a' },
        build_docs: { run: () => 'b' },
        use: { needs: ['build-docs', 'build_docs'], uses: 'shell', with: { command: 'true' } },
      } });
    `,
    );
    return project;
  }

  it('an unused NUL byte or oversized outputs no longer stop the command (debug line instead); a requested one fails naming step and variable', () => {
    const project = upstreamProject();
    try {
      const nul = project.task(['run', 'nul', '--json'], { CASCADENCE_DEBUG: '1' });
      expect(nul.code).toBe(0);
      expect(JSON.parse(nul.stdout).output.echo.stdout).toBe('clean=fine dirty=unset');
      expect(nul.stderr).toMatch(/CASCADENCE_RESULT_DIRTY not set: it contains a NUL byte/);

      const big = project.task(['run', 'big', '--json']);
      expect(big.code).toBe(0);
      const passed = Number(JSON.parse(big.stdout).output.count.stdout);
      expect(passed).toBeGreaterThan(0);
      expect(passed).toBeLessThan(40);

      const strict = project.task(['run', 'strict']);
      expect(strict.code).toBe(1);
      expect(strict.stderr).toMatch(
        /^error: flow "strict", step "use": cannot pass CASCADENCE_RESULT_DIRTY \(output of step "dirty"\): it contains a NUL byte/m,
      );
    } finally {
      project.remove();
    }
  });

  it('two steps whose names give one variable are an error naming both', () => {
    const project = upstreamProject();
    try {
      const { code, stderr } = project.task(['run', 'collide']);
      expect(code).toBe(1);
      expect(stderr).toMatch(/step "build-docs" and step "build_docs" both give the variable CASCADENCE_RESULT_BUILD_DOCS/);
    } finally {
      project.remove();
    }
  });
});

describe('items 4 and 5: stop signals', () => {
  const stubborn = `
    // Steps that ignore ctx.signal: they keep running for a while after the run is cancelled.
    const ignoring = (ms) => (ctx) => new Promise((resolve) => { ctx.log.info(ctx.stepId + ' started'); setTimeout(() => resolve(ctx.stepId), ms); });
    export const stubborn = defineFlow({ name: 'stubborn', steps: { a: { run: ignoring(1500) }, b: { run: ignoring(1500) } } });
    export const forever = defineFlow({ name: 'forever', steps: { a: { run: ignoring(600000) }, b: { run: ignoring(600000) } } });
  `;

  it('Ctrl-C: exit 130, says what it waits for, and the cancel message does not repeat itself', async () => {
    const project = projectWith(stubborn);
    try {
      const run = project.start(['run', 'stubborn']);
      await run.waitFor(/b started/);
      run.child.kill('SIGINT');
      expect(await run.exited()).toBe(130);
      expect(run.stderr()).toMatch(/^SIGINT received: cancelling flow "stubborn" — press Ctrl-C again to force$/m);
      expect(run.stderr()).toMatch(/^waiting up to 10\.00 s for 2 steps to stop — press Ctrl-C again to force$/m);
      expect(run.stdout()).toMatch(/^ {2}⊘ a cancelled: interrupted by SIGINT$/m);
      expect(run.stderr()).toMatch(/^error: flow "stubborn" was cancelled: interrupted by SIGINT$/m);
      expect(run.output()).not.toMatch(/cancelled.*cancelled/);
    } finally {
      project.remove();
    }
  });

  it('SIGTERM exits 143 and SIGHUP 129 (128 + the signal number)', async () => {
    const project = projectWith(stubborn);
    try {
      for (const [signal, expected] of [
        ['SIGTERM', 143],
        ['SIGHUP', 129],
      ] as const) {
        const run = project.start(['run', 'stubborn']);
        await run.waitFor(/b started/);
        run.child.kill(signal);
        expect({ signal, code: await run.exited() }).toEqual({ signal, code: expected });
        expect(run.stderr()).toMatch(new RegExp(`^error: flow "stubborn" was cancelled: interrupted by ${signal}$`, 'm'));
      }
    } finally {
      project.remove();
    }
  });

  it('a second Ctrl-C exits at once, with 130, while steps ignore the cancellation', async () => {
    const project = projectWith(stubborn);
    try {
      const run = project.start(['run', 'forever']);
      await run.waitFor(/b started/);
      run.child.kill('SIGINT');
      await run.waitFor(/waiting up to/);
      run.child.kill('SIGINT');
      // The steps would hold the process for ten minutes; the old binary also ignored the second signal.
      expect(await run.exited(20_000)).toBe(130);
      expect(run.stderr()).toMatch(/^SIGINT again: exiting now$/m);
      expect(run.stderr()).toMatch(/^error: flow "forever" was interrupted by SIGINT; forced to exit/m);
    } finally {
      project.remove();
    }
  });

  it('a second Ctrl-C kills the process group of a shell command that ignores SIGTERM', async () => {
    const project = shellProject({
      hold: [
        'name: hold',
        'steps:',
        '  hold:',
        '    uses: shell',
        `    with: { command: "trap '' TERM; echo $$ > hold.pid; while true; do sleep 1; done", killGraceMs: 60000 }`,
        '',
      ].join('\n'),
    });
    try {
      const run = project.start(['run', 'hold']);
      const pid = await waitForPidFile(project, 'hold.pid', run);
      run.child.kill('SIGINT');
      await run.waitFor(/waiting up to 10\.00 s for 1 step to stop/);
      run.child.kill('SIGINT');
      expect(await run.exited(20_000)).toBe(130);
      expect(await waitUntilGone(pid)).toBe(true);
    } finally {
      project.remove();
    }
  });

  it('SIGHUP to task run stops its shell command (exit 129)', async () => {
    const project = shellProject({
      nap: 'name: nap\nsteps:\n  nap:\n    uses: shell\n    with: { command: "echo $$ > nap.pid; exec sleep 600" }\n',
    });
    try {
      const run = project.start(['run', 'nap']);
      const pid = await waitForPidFile(project, 'nap.pid', run);
      run.child.kill('SIGHUP');
      expect(await run.exited()).toBe(129);
      expect(await waitUntilGone(pid)).toBe(true);
    } finally {
      project.remove();
    }
  });

  it('a second SIGTERM makes task scheduler exit at once (143), without waiting for --stop-timeout', async () => {
    const project = projectWith(`
      export const stuck = defineTask({ name: 'stuck', run: (ctx) => new Promise(() => { ctx.log.info('stuck started'); setInterval(() => {}, 1000); }) });
    `);
    try {
      expect(project.task(['schedule', 'stuck', '* * * * * *']).code).toBe(0);
      const scheduler = project.start(['scheduler', '--stop-timeout', '600000']);
      await scheduler.waitFor(/stuck started/);
      scheduler.child.kill('SIGTERM');
      await scheduler.waitFor(/SIGTERM received: stopping \(waiting up to 600\.00 s for running tasks — send SIGTERM again to force\)/);
      scheduler.child.kill('SIGTERM');
      expect(await scheduler.exited(20_000)).toBe(143);
      expect(scheduler.output()).toMatch(/SIGTERM again: exiting now/);
      expect(scheduler.output()).toMatch(/^error: scheduler forced to exit by a second SIGTERM/m);
    } finally {
      project.remove();
    }
  });

  it('SIGTERM while task scheduler is still starting (its history database not answering yet) stops it cleanly: exit 0, not killed by the signal', async () => {
    // A PostgreSQL that accepts connections and never answers: opening the history stalls (up to
    // its 5 s connect timeout) after the metrics line is printed, which holds the startup open.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const project = projectWith(`export const tick = defineTask({ name: 'tick', run: () => 'tick' });\n`);
    try {
      const scheduler = project.start(['scheduler', '--metrics-port', '0'], {
        CASCADENCE_HISTORY_URL: `postgres://u:p@127.0.0.1:${port}/db`,
      });
      await scheduler.waitFor(/metrics at http/);
      scheduler.child.kill('SIGTERM');
      expect(await scheduler.exited(20_000)).toBe(0);
      expect(scheduler.output()).toMatch(/SIGTERM received while starting: stopping/);
      expect(scheduler.output()).toMatch(/stopped cleanly/);
      expect(scheduler.output()).not.toMatch(/scheduler started/);
    } finally {
      project.remove();
      silent.close();
    }
  });

  it('SIGHUP to task scheduler stops the shell command of a running schedule and exits 129', async () => {
    const project = shellProject({
      nap: 'name: nap\nsteps:\n  nap:\n    uses: shell\n    with: { command: "echo $$ > nap.pid; exec sleep 600" }\n',
    });
    try {
      expect(project.task(['schedule', 'nap', '* * * * * *']).code).toBe(0);
      const scheduler = project.start(['scheduler', '--stop-timeout', '500']);
      const pid = await waitForPidFile(project, 'nap.pid', scheduler);
      scheduler.child.kill('SIGHUP');
      expect(await scheduler.exited(20_000)).toBe(129);
      expect(scheduler.output()).toMatch(/SIGHUP received: stopping/);
      expect(await waitUntilGone(pid)).toBe(true);
    } finally {
      project.remove();
    }
  });
});

async function waitForPidFile(
  project: Project,
  file: string,
  running: { output: () => string; child: { exitCode: number | null } },
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < 20_000) {
    try {
      const pid = pidIn(project, file);
      if (pid > 0) return pid;
    } catch {
      // not written yet
    }
    if (running.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${file} was never written; output so far:\n${running.output()}`);
}
