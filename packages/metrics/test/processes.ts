import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort } from '@cascadence/test-kit';

/** An executable: `$ENV_VAR` when set, else the first `name` on PATH. */
export function findBinary(name: string, envVar?: string): string | undefined {
  const explicit = envVar === undefined ? undefined : process.env[envVar];
  if (explicit !== undefined && explicit !== '') return explicit;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export { freePort };

/** Polls `check` until it returns true (errors count as false); rejects after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
