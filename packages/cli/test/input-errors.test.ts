import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findDuplicateKey } from '../src/project/json';
import { Project } from './cli-harness';

// Found by the reliability suite (reliability/): each of these was accepted silently or reported
// without saying what was wrong.
describe('bad input the error line must explain', () => {
  it('a JSON flow or JSON config with a repeated key is refused, naming the key and where it is', () => {
    const project = new Project({
      'flows/dup.json': '{ "name": "dup", "steps": { "a": { "task": "example" }, "a": { "task": "nope" } } }\n',
    });
    try {
      const flow = project.task(['run', 'dup']);
      expect(flow.code).toBe(1);
      expect(flow.stderr).toMatch(
        /^error: flows\/dup\.json: duplicate key "a" in "steps" \(line 1, column 57\); each key may appear once\n$/m,
      );
      project.write('flows/dup.json', '{ "name": "ok", "steps": { "a": { "task": "example" } } }\n');
      project.write('cascadence.config.json', '{\n  "backend": "local",\n  "backend": "temporal"\n}\n');
      const config = project.task(['list']);
      expect(config.code).toBe(1);
      expect(config.stderr).toMatch(
        /^error: .*cascadence\.config\.json: duplicate key "backend" \(line 3, column 3\); each key may appear once\n$/,
      );
    } finally {
      project.remove();
    }
  });

  it('findDuplicateKey: nested objects, arrays, escaped keys, and keys that only repeat across objects', () => {
    expect(findDuplicateKey('{"a": 1, "b": {"a": 2}, "c": [{"a": 1}, {"a": 2}]}')).toBeUndefined();
    expect(findDuplicateKey('{"s": [{"x": {"k": 1, "k": 2}}]}')).toEqual({ key: 'k', path: ['s', 'x'], line: 1, column: 23 });
    expect(findDuplicateKey('{"a\\"b": 1, "a\\u0022b": 2}')).toMatchObject({ key: 'a"b' });
    expect(findDuplicateKey('{"v": "has \\"quotes\\" and : colons", "v2": ":"}')).toBeUndefined();
  });

  it('flag values a parser refuses are usage errors (exit 2) that say why; an --input-file folder is named', () => {
    const project = new Project();
    try {
      mkdirSync(join(project.dir, 'data'));
      expect(project.task(['list', '--cwd', 'no/such/dir'])).toMatchObject({
        code: 2,
        stderr: 'error: Parsing --cwd: No directory found at no/such/dir\n',
      });
      expect(project.task(['schedule', 'example', '0 1 * * *', '--jitter', '-5'])).toMatchObject({
        code: 2,
        stderr: 'error: Parsing --jitter: Expected an integer greater than or equal to 0 but received: -5\n',
      });
      expect(project.task(['run', 'example', '--input-file', 'data'])).toMatchObject({
        code: 1,
        stderr: `error: --input-file data: ${join(project.dir, 'data')} is not a file\n`,
      });
    } finally {
      project.remove();
    }
  });
});
