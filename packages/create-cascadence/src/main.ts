import { basename, relative, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline/promises';
import { defaultProcessorName, packageNameProblem, pluginNameProblem, processorNameProblem, toPackageName, toPluginName } from './names';
import { renderPlugin } from './plugin';
import { PART_DESCRIPTIONS, PROJECT_PARTS, renderProject, type FileMap, type Language, type ProjectPart } from './project';
import { templateVersions, type TemplateVersions } from './versions';
import { CreateError, folderContents, writeFiles, type WriteReport } from './write';

export interface MainIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** What the command line says; undefined = not given. */
export interface ParsedArgs {
  directory?: string;
  plugin: boolean;
  name?: string;
  language?: Language;
  parts: Partial<Record<ProjectPart, boolean>>;
  processor?: string;
  yes: boolean;
  force: boolean;
  help: boolean;
  version: boolean;
}

/** The defaults `--yes` (or no terminal) takes for the questions not answered by flags. */
export const DEFAULTS = {
  projectDirectory: 'cascadence-app',
  pluginDirectory: 'cascadence-plugin-example',
  language: 'ts' as Language,
  parts: { schedules: true, metrics: false, temporal: false, shell: false, http: false } satisfies Record<ProjectPart, boolean>,
};

export const USAGE = `Usage: npm create cascadence@latest [directory] -- [options]
       npx create-cascadence [directory] [options]

Creates a Cascadence project (default) or a plugin package (--plugin) in a new folder.
Asks what it needs on a terminal; with --yes, or without a terminal, takes the defaults
for what the options do not say.

Options:
  --plugin             a plugin package (a processor, tests, tsup build, publint/attw)
  --name NAME          npm package name (default: from the folder name)
  --ts, --js           language of a project (default: TypeScript); also --language ts|js
${PROJECT_PARTS.map((p) => `  --${p.padEnd(19)}${PART_DESCRIPTIONS[p]}`).join('\n')}
  --no-<part>          leave that part out (e.g. --no-schedules)
  --all, --none        every part, or none of them
  --processor NAME     the plugin's first processor (default: from the package name)
  -y, --yes            take the defaults, ask nothing (TypeScript, schedules only)
  --force              write into a folder that is not empty; files with the same names are
                       replaced, and each one replaced is listed
  -h, --help           this help
  -v, --version        the version
`;

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { plugin: false, parts: {}, yes: false, force: false, help: false, version: false };
  const args = [...argv];
  const value = (flag: string, inline: string | undefined): string => {
    const v = inline ?? args.shift();
    if (v === undefined || (inline === undefined && v.startsWith('-'))) throw new CreateError(`${flag} needs a value`, 2);
    return v;
  };
  while (args.length > 0) {
    const arg = args.shift()!;
    if (arg === '--') continue;
    if (!arg.startsWith('-') || arg === '-') {
      if (out.directory !== undefined) throw new CreateError(`one folder only (got "${out.directory}" and "${arg}")`, 2);
      out.directory = arg;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const noValue = () => {
      if (inline !== undefined) throw new CreateError(`${flag} takes no value`, 2);
    };
    const part = PROJECT_PARTS.find((p) => flag === `--${p}` || flag === `--no-${p}`);
    if (part !== undefined) {
      noValue();
      out.parts[part] = !flag.startsWith('--no-');
      continue;
    }
    switch (flag) {
      case '--plugin':
        noValue();
        out.plugin = true;
        break;
      case '--name':
        out.name = value(flag, inline);
        break;
      case '--ts':
      case '--typescript':
        noValue();
        out.language = 'ts';
        break;
      case '--js':
      case '--javascript':
        noValue();
        out.language = 'js';
        break;
      case '--language':
      case '--lang': {
        const v = value(flag, inline).toLowerCase();
        if (!['ts', 'js', 'typescript', 'javascript'].includes(v)) throw new CreateError(`${flag} is ts or js (got "${v}")`, 2);
        out.language = v.startsWith('t') ? 'ts' : 'js';
        break;
      }
      case '--all':
      case '--none':
        noValue();
        for (const p of PROJECT_PARTS) out.parts[p] = flag === '--all';
        break;
      case '--processor':
        out.processor = value(flag, inline);
        break;
      case '-y':
      case '--yes':
        noValue();
        out.yes = true;
        break;
      case '--force':
        noValue();
        out.force = true;
        break;
      case '-h':
      case '--help':
        out.help = true;
        break;
      case '-v':
      case '--version':
        out.version = true;
        break;
      default:
        throw new CreateError(`unknown option ${flag} (see --help)`, 2);
    }
  }
  if (out.plugin) {
    const projectOnly = [...(out.language ? ['--ts/--js'] : []), ...Object.keys(out.parts).map((p) => `--${p}`)];
    if (projectOnly.length > 0)
      throw new CreateError(`${projectOnly.join(', ')}: for projects, not with --plugin (plugins are TypeScript)`, 2);
  } else if (out.processor !== undefined) {
    throw new CreateError('--processor goes with --plugin', 2);
  }
  return out;
}

/** Asks questions on a terminal; each answer is one line. */
class Prompter {
  private readonly rl: Interface;
  private readonly abort = new AbortController();

  constructor(io: MainIo) {
    this.rl = createInterface({ input: io.stdin, output: io.stdout, terminal: true });
    this.rl.on('SIGINT', () => this.abort.abort());
    this.rl.on('close', () => this.abort.abort());
  }

  async ask(question: string, fallback: string): Promise<string> {
    try {
      const answer = (await this.rl.question(`${question} (${fallback}) `, { signal: this.abort.signal })).trim();
      return answer === '' ? fallback : answer;
    } catch {
      throw new CreateError('cancelled: nothing was written', 130);
    }
  }

  async confirm(question: string, fallback: boolean): Promise<boolean> {
    for (;;) {
      const answer = (await this.ask(question, fallback ? 'Y/n' : 'y/N')).toLowerCase();
      if (answer === 'y/n') return fallback;
      if (['y', 'yes'].includes(answer)) return true;
      if (['n', 'no'].includes(answer)) return false;
    }
  }

  close(): void {
    this.rl.close();
  }
}

export interface CreateResult {
  kind: 'project' | 'plugin';
  dir: string;
  name: string;
  files: FileMap;
  report: WriteReport;
}

/**
 * `create-cascadence` as a function: never exits the process, never reads process.argv.
 * Resolves to the exit code; errors are printed on `io.stderr` as `error: ...`.
 */
export async function main(
  argv: readonly string[],
  io: MainIo = defaultIo(),
  versions: TemplateVersions = templateVersions(),
): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    if (args.version) {
      io.stdout.write(`${versions.generator}\n`);
      return 0;
    }
    const result = await create(args, io, versions);
    printDone(result, io);
    return 0;
  } catch (error) {
    const code = error instanceof CreateError ? error.exitCode : 1;
    io.stderr.write(`error: ${(error as Error).message}\n`);
    return code;
  }
}

export async function create(args: ParsedArgs, io: MainIo, versions: TemplateVersions): Promise<CreateResult> {
  const interactive = !args.yes && io.stdin.isTTY === true && io.stdout.isTTY === true;
  const prompter = interactive ? new Prompter(io) : undefined;
  try {
    const kind = args.plugin ? 'plugin' : 'project';
    if (interactive) io.stdout.write(`create-cascadence ${versions.generator}: a new Cascadence ${kind}\n`);

    // The folder.
    let directory = args.directory;
    const fallbackDir = args.plugin
      ? args.name
        ? args.name.replace(/^@[^/]+\//, '')
        : DEFAULTS.pluginDirectory
      : DEFAULTS.projectDirectory;
    if (directory === undefined) directory = prompter ? await prompter.ask('Folder:', fallbackDir) : fallbackDir;
    const dir = resolve(io.cwd, directory);
    const contents = folderContents(dir);
    if (contents !== undefined && contents.length > 0 && !args.force) {
      const shown = contents.slice(0, 5).join(', ') + (contents.length > 5 ? `, and ${contents.length - 5} more` : '');
      const ok = prompter
        ? await prompter.confirm(`${dir} is not empty (${shown}). Write into it anyway, replacing files with the same names?`, false)
        : false;
      if (!ok) {
        throw new CreateError(
          prompter
            ? 'cancelled: nothing was written'
            : `${dir} is not empty (${shown}): choose a new folder, or pass --force to write into it (files with the same names are replaced)`,
        );
      }
      args = { ...args, force: true };
    }

    // The package name.
    const folderName = basename(dir);
    let name = args.name;
    const check = (n: string) => packageNameProblem(n) ?? (args.plugin ? pluginNameProblem(n) : undefined);
    if (name !== undefined) {
      const problem = check(name);
      if (problem) {
        const suggestion = args.plugin ? toPluginName(name) : toPackageName(name);
        throw new CreateError(
          `"${name}" cannot be the package name: ${problem}${check(suggestion) === undefined && suggestion !== name ? ` (try "${suggestion}")` : ''}`,
        );
      }
    } else {
      const derived = args.plugin ? toPluginName(folderName) : toPackageName(folderName);
      const derivedOk = check(derived) === undefined;
      if (prompter && (!derivedOk || derived !== folderName)) {
        for (;;) {
          const answer = await prompter.ask(
            'Package name:',
            derivedOk ? derived : args.plugin ? 'cascadence-plugin-example' : 'cascadence-app',
          );
          const problem = check(answer);
          if (!problem) {
            name = answer;
            break;
          }
          io.stdout.write(`  "${answer}" cannot be used: ${problem}\n`);
        }
      } else if (derivedOk) {
        name = derived;
      } else {
        throw new CreateError(`no valid package name can be made from the folder name "${folderName}" (${check(derived)}): pass --name`);
      }
    }

    let files: FileMap;
    if (args.plugin) {
      let processor = args.processor;
      const fallback = defaultProcessorName(name);
      if (processor === undefined) {
        if (prompter) {
          for (;;) {
            processor = await prompter.ask('Name of its processor (what flows write after `uses:`):', fallback);
            const problem = processorNameProblem(processor);
            if (!problem) break;
            io.stdout.write(`  ${problem}\n`);
          }
        } else {
          processor = fallback;
        }
      }
      const problem = processorNameProblem(processor);
      if (problem) throw new CreateError(problem);
      files = renderPlugin({ name, processor }, versions);
    } else {
      let language = args.language;
      if (language === undefined) {
        if (prompter) {
          for (;;) {
            const answer = (await prompter.ask('Language: TypeScript or JavaScript? [ts/js]', DEFAULTS.language)).toLowerCase();
            if (['ts', 'typescript'].includes(answer)) language = 'ts';
            else if (['js', 'javascript'].includes(answer)) language = 'js';
            if (language) break;
          }
        } else {
          language = DEFAULTS.language;
        }
      }
      const parts: Record<ProjectPart, boolean> = { ...DEFAULTS.parts };
      for (const part of PROJECT_PARTS) {
        const given = args.parts[part];
        if (given !== undefined) parts[part] = given;
        else if (prompter) parts[part] = await prompter.confirm(`Include ${PART_DESCRIPTIONS[part]}?`, DEFAULTS.parts[part]);
      }
      files = renderProject({ name, language, parts }, versions);
    }

    const report = writeFiles(dir, files, { force: args.force });
    return { kind, dir, name, files, report };
  } finally {
    prompter?.close();
  }
}

/** `npm`, `pnpm`, `yarn` or `bun`: whichever ran us (npm create / pnpm create / ...). */
export function packageManager(env: NodeJS.ProcessEnv): 'npm' | 'pnpm' | 'yarn' | 'bun' {
  const agent = env.npm_config_user_agent ?? '';
  for (const pm of ['pnpm', 'yarn', 'bun'] as const) if (agent.startsWith(`${pm}/`)) return pm;
  return 'npm';
}

function printDone({ kind, dir, name, report }: CreateResult, io: MainIo): void {
  const pm = packageManager(io.env);
  const rel = relative(io.cwd, dir) || '.';
  const lines = [`Created ${kind} ${name} in ${dir} (${report.created.length} new file${report.created.length === 1 ? '' : 's'}).`];
  if (report.replaced.length > 0) lines.push(`Replaced (--force): ${report.replaced.join(', ')}`);
  if (report.unchanged.length > 0) lines.push(`Already there, unchanged: ${report.unchanged.join(', ')}`);
  const exec = pm === 'npm' ? 'npx' : `${pm} exec`;
  const runScript = (s: string) => (pm === 'npm' ? `npm run ${s}` : `${pm} run ${s}`);
  lines.push('', 'Next:', '');
  if (rel !== '.') lines.push(`  cd ${/\s/.test(rel) ? JSON.stringify(rel) : rel}`);
  lines.push(`  ${pm} install`);
  if (kind === 'project') {
    lines.push(`  ${exec} task run report`, `  ${pm} test`);
  } else {
    lines.push(`  ${runScript('build')}`, `  ${pm} test`);
  }
  io.stdout.write(`${lines.join('\n')}\n`);
}

export function defaultIo(): MainIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
}
