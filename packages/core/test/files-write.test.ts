/** `writeFileAtomic` (`@cascadence/core/files`) in a real temp folder. */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CascadenceError, ErrorCode } from '../src/errors';
import { writeFileAtomic } from '../src/files';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cascadence-write-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces the file, keeps its mode, removes temp files of writers that died, and returns the new signature', async () => {
    const file = join(dir, 'state.json');
    writeFileSync(file, 'old');
    chmodSync(file, 0o600);
    writeFileSync(join(dir, '.state.json.999.deadbeef.tmp'), 'half a write');
    const signature = await writeFileAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    const stat = statSync(file);
    expect(stat.mode & 0o777).toBe(0o600);
    expect(signature).toEqual({ mtimeMs: stat.mtimeMs, size: 3, ino: stat.ino });
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('creates a missing file and its folders', async () => {
    const file = join(dir, 'a', 'b', 'new.txt');
    await writeFileAtomic(file, new Uint8Array([104, 105]));
    expect(readFileSync(file, 'utf8')).toBe('hi');
  });

  it('refuses a read-only file with CASCADENCE_FILE_UNWRITABLE and writes nothing', async () => {
    const file = join(dir, 'tasks.json');
    writeFileSync(file, 'keep');
    chmodSync(file, 0o444);
    const error = await writeFileAtomic(file, 'changed', { shownPath: 'shown.json' }).catch((e: unknown) => e);
    expect(CascadenceError.isInstance(error, ErrorCode.FILE_UNWRITABLE)).toBe(true);
    expect((error as Error).message).toBe(
      `shown.json (-> ${file}) is read-only (mode 0444); nothing was written. Make it writable (chmod u+w) to let Cascadence edit it`,
    );
    expect(readFileSync(file, 'utf8')).toBe('keep');
    expect(readdirSync(dir)).toEqual(['tasks.json']);
  });

  it('refuses a directory with CASCADENCE_FILE_UNWRITABLE naming it', async () => {
    const target = join(dir, 'folder');
    mkdirSync(target);
    const error = await writeFileAtomic(target, 'x').catch((e: unknown) => e);
    expect(CascadenceError.isInstance(error, ErrorCode.FILE_UNWRITABLE)).toBe(true);
    expect((error as Error).message).toBe(`${target}: cannot write the file: it is a directory, not a file`);
  });
});
