// Issue 12: the JavaScript task template is made from the TypeScript one, so the two stay in step.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TASKS_JS, TASKS_TS, typeScriptToJavaScript } from '../src/project-sources';

const exportsOf = (source: string) => [...source.matchAll(/^export const (\w+)/gm)].map((m) => m[1]);

describe('the JavaScript task template', () => {
  it('is the TypeScript one line for line, without its interfaces and type arguments', () => {
    expect(TASKS_JS).not.toMatch(/interface |define(Task|Flow)</);
    expect(exportsOf(TASKS_JS)).toEqual(['loadNumbers', 'summarize', 'stats']);
    expect(exportsOf(TASKS_JS)).toEqual(exportsOf(TASKS_TS));
    // Every line of the JavaScript is the TypeScript's next line, or that line without its type arguments.
    const ts = TASKS_TS.split('\n');
    let i = 0;
    for (const line of TASKS_JS.split('\n')) {
      while (i < ts.length && ts[i] !== line && ts[i]!.replace(/<[^\n]*?>\(/, '(') !== line) i++;
      expect(i).toBeLessThan(ts.length);
      i++;
    }
    expect(TASKS_JS).toContain('export const summarize = defineTask({');
  });

  it('is a module Node accepts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'create-cascadence-js-'));
    try {
      writeFileSync(join(dir, 'tasks.mjs'), TASKS_JS);
      const checked = spawnSync(process.execPath, ['--check', join(dir, 'tasks.mjs')], { encoding: 'utf8' });
      expect(checked.stderr).toBe('');
      expect(checked.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses TypeScript-only syntax it cannot remove, rather than writing a broken file', () => {
    expect(() => typeScriptToJavaScript('export type Id = string;\n')).toThrow(/TypeScript-only syntax .*export type/);
    expect(typeScriptToJavaScript('export interface A {\n  a: number;\n}\n\nexport const x = defineTask<A, number>({});\n')).toBe(
      'export const x = defineTask({});\n',
    );
  });
});
