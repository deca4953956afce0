/**
 * `task list` and `task --version` without oclif. Importing oclif and loading its config costs
 * about 1.4x a bare `node -e 0` on Node 20 before any command runs (bench/README.md, issue 21), so
 * bin/run.js asks this module first. It answers only what it can answer exactly as oclif would:
 * `task list` with `--json`, `--cwd <dir>` and `--config <file>` (each at most once), and
 * `task --version` / `-v` alone, when no user-installed oclif plugin or debug setting could change
 * what oclif does, and (`list`) when the project loads. Anything else, errors included, returns
 * undefined and the binary runs oclif as before. CASCADENCE_CLI_NO_FAST_PATH (any non-empty
 * value) always takes the oclif path.
 *
 * This module is imported by every `task` process: it imports nothing heavy until it answers.
 */
import { readFileSync, statSync } from 'node:fs';
import { arch, homedir, platform, release, tmpdir } from 'node:os';
import { join } from 'node:path';

export const NO_FAST_PATH_ENV = 'CASCADENCE_CLI_NO_FAST_PATH';

/** What `task list` was asked for. */
export interface ListRequest {
  json: boolean;
  cwd?: string;
  config?: string;
}

/**
 * The request when `args` is a `task list` the fast path parses exactly as oclif would, else
 * undefined (help, unknown or repeated flags, arguments, `--`, a value that oclif might read as a
 * flag or refuse, a `--cwd` that is not a folder: oclif reports those).
 */
export function listRequest(args: readonly string[]): ListRequest | undefined {
  if (args[0] !== 'list') return undefined;
  const request: ListRequest = { json: false };
  const seen = new Set<string>();
  for (let i = 1; i < args.length; i++) {
    const arg = args[i] as string;
    let name: 'json' | 'cwd' | 'config';
    let value: string | undefined;
    if (arg === '--json') name = 'json';
    else {
      const match = /^--(cwd|config)(?:=([^]*))?$/.exec(arg);
      if (match === null) return undefined;
      name = match[1] as 'cwd' | 'config';
      value = match[2] ?? args[++i];
      if (value === undefined || value === '' || value.startsWith('-')) return undefined;
    }
    if (seen.has(name)) return undefined;
    seen.add(name);
    if (name === 'json') request.json = true;
    else request[name] = value;
  }
  // --cwd must name an existing folder: oclif's flag parser words that error.
  if (request.cwd !== undefined && statSync(request.cwd, { throwIfNoEntry: false })?.isDirectory() !== true) return undefined;
  return request;
}

/**
 * Whether oclif could do something else than the List command here (or print a stack naming this
 * path's functions: CASCADENCE_DEBUG): a user-installed or linked
 * oclif plugin (`task plugins install|link`, recorded in the data folder's package.json, which
 * oclif reads on every start: a plugin may add hooks or replace `list`), or oclif's debug output.
 * The data folder is looked for where oclif could put it (TASK_DATA_DIR, XDG_DATA_HOME,
 * LOCALAPPDATA, ~/.local/share): any of them naming a plugin, or unreadable, means "could".
 */
export function oclifMayDiffer(env: NodeJS.ProcessEnv): boolean {
  // `task` is package.json's oclif.bin: oclif's own variables are TASK_*; DEBUG drives its logger.
  // CASCADENCE_DEBUG prints an error's stack, which would show this path's frames after a fallback.
  if (env.DEBUG || env.TASK_DEBUG || env.TASK_REDIRECTED || env.CASCADENCE_DEBUG) return true;
  const folders = new Set<string>();
  if (env.TASK_DATA_DIR) folders.add(env.TASK_DATA_DIR);
  for (const base of [env.XDG_DATA_HOME, env.LOCALAPPDATA]) if (base) folders.add(join(base, 'cascadence'));
  for (const home of [env.HOME, homedir(), tmpdir()]) if (home) folders.add(join(home, '.local', 'share', 'cascadence'));
  for (const folder of folders) {
    let text: string;
    try {
      text = readFileSync(join(folder, 'package.json'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
      return true;
    }
    try {
      const plugins = (JSON.parse(text) as { oclif?: { plugins?: unknown } } | null)?.oclif?.plugins;
      // `task plugins uninstall` leaves the file with an empty list.
      if (plugins !== undefined && !(Array.isArray(plugins) && plugins.length === 0)) return true;
    } catch {
      return true;
    }
  }
  return false;
}

/**
 * Answers `args` without oclif and resolves with the exit code, or resolves undefined when oclif
 * must answer (see the module comment).
 */
export async function fastPath(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  if (env[NO_FAST_PATH_ENV]) return undefined;
  let request: ListRequest | undefined;
  let version: string | undefined;
  try {
    request = listRequest(args);
    version = request === undefined && args.length === 1 && args[0]?.startsWith('-') ? versionLine(args[0] as string) : undefined;
    if ((request === undefined && version === undefined) || oclifMayDiffer(env)) return undefined;
  } catch {
    // Anything odd on the way (a --cwd below a file, an unreadable home): oclif's to answer.
    return undefined;
  }
  if (request !== undefined) {
    const { listWithoutOclif } = await import('./list-fast-path');
    return listWithoutOclif(request);
  }
  process.stdout.write(`${version}\n`);
  return 0;
}

/**
 * What `task --version` prints (oclif's user agent: `@cascadence/cli/0.1.0 linux-x64 node-v20.1.0`)
 * when `flag` is one of the version flags of package.json, else undefined. Undefined also where
 * oclif would say `wsl` instead of `linux` (it asks wsl-utils; any hint of WSL is left to it).
 */
export function versionLine(flag: string): string | undefined {
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    name: string;
    version: string;
    oclif: { additionalVersionFlags?: string[] };
  };
  if (flag !== '--version' && !(pjson.oclif.additionalVersionFlags ?? []).includes(flag)) return undefined;
  if (platform() === 'linux' && (release().toLowerCase().includes('microsoft') || procVersion().includes('microsoft'))) return undefined;
  return `${pjson.name}/${pjson.version} ${platform()}-${arch() === 'ia32' ? 'x86' : arch()} node-${process.version}`;
}

function procVersion(): string {
  try {
    return readFileSync('/proc/version', 'utf8').toLowerCase();
  } catch {
    return '';
  }
}
