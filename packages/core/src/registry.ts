import type { ExecutionBackend } from './backend';
import type { Runnable, StepResolver } from './engine';
import { CascadenceError, ErrorCode } from './errors';
import type { Processor } from './processor';
import { compareNames } from './name-order';
import { closestNames, unknownName } from './suggest';

export interface RegistryEntry {
  name: string;
  kind: 'task' | 'flow';
  enabled: boolean;
  description: string | undefined;
  /** Where it came from: `code`, `builtin`, a file path or a plugin's package name. */
  source: string;
  runnable: Runnable;
}

export interface RegistryOptions {
  /** Names that start disabled (e.g. read from the project's state). */
  disabled?: Iterable<string>;
}

interface Registered<T> {
  value: T;
  source: string;
}

/**
 * The tasks, flows, processors and backends a project knows, by name, with enabled/disabled
 * state. Disabled tasks refuse to run; schedulers never fire them.
 */
export class Registry implements StepResolver {
  /** Bumped on every change, so engines re-resolve flows that name tasks or processors. */
  version = 0;
  private readonly runnables = new Map<string, Registered<Runnable>>();
  private readonly processorMap = new Map<string, Registered<Processor<any, any>>>();
  private readonly backendMap = new Map<string, Registered<ExecutionBackend>>();
  /** Names whose provider failed to load: using them raises the provider's error. */
  private readonly unavailable = new Map<string, CascadenceError>();
  /** Plugins that failed to load, with the kinds their manifest said they provide. */
  private readonly brokenProviders: Array<{ plugin: string; provides: readonly string[]; error: CascadenceError }> = [];
  private readonly disabled: Set<string>;

  constructor(options: RegistryOptions = {}) {
    this.disabled = new Set(options.disabled ?? []);
  }

  /** Adds a task or flow; a second one with the same name is an error naming both sources. */
  add(runnable: Runnable, source = 'code'): this {
    this.put(this.runnables, runnable.name, runnable, source, 'task');
    return this;
  }

  addProcessor(processor: Processor<any, any>, source = 'code'): this {
    this.put(this.processorMap, processor.name, processor, source, 'processor');
    return this;
  }

  addBackend(backend: ExecutionBackend, source = 'code'): this {
    this.put(this.backendMap, backend.name, backend, source, 'backend');
    return this;
  }

  /** Records that `name` would have come from a provider that failed; using it raises `error`. */
  markUnavailable(kind: 'task' | 'processor' | 'backend', name: string, error: CascadenceError): void {
    this.unavailable.set(`${kind}:${name}`, error);
    this.version++;
  }

  /** A plugin that failed to load: unknown names of the kinds it provides mention its error. */
  markBrokenProvider(plugin: string, provides: readonly string[], error: CascadenceError): void {
    this.brokenProviders.push({ plugin, provides, error });
    this.version++;
  }

  /** Two providers claim `name`: neither keeps it, and using it raises `error`. */
  markConflict(kind: 'task' | 'processor' | 'backend', name: string, error: CascadenceError): void {
    (kind === 'task' ? this.runnables : kind === 'processor' ? this.processorMap : this.backendMap).delete(name);
    this.markUnavailable(kind, name, error);
  }

  has(name: string): boolean {
    return this.runnables.has(name);
  }

  /** The task or flow called `name`; unknown names suggest the closest ones. */
  get(name: string): Runnable {
    const found = this.runnables.get(name);
    if (found !== undefined) return found.value;
    throw this.unknown('task', name, [...this.runnables.keys()], ErrorCode.UNKNOWN_TASK);
  }

  /** Like `get`, but a disabled task is refused too. */
  getRunnable(name: string): Runnable {
    const runnable = this.get(name);
    if (!this.isEnabled(name)) {
      throw new CascadenceError(ErrorCode.TASK_DISABLED, `task "${name}" is disabled`, {
        suggestions: [`enable it with: task enable ${name}`],
        details: { task: name },
      });
    }
    return runnable;
  }

  list(): RegistryEntry[] {
    return [...this.runnables.values()]
      .map(({ value, source }) => ({
        name: value.name,
        kind: value.kind,
        enabled: this.isEnabled(value.name),
        description: value.description,
        source,
        runnable: value,
      }))
      .sort((a, b) => compareNames(a.name, b.name));
  }

  isEnabled(name: string): boolean {
    return !this.disabled.has(name);
  }

  disable(name: string): void {
    this.get(name);
    this.disabled.add(name);
    this.version++;
  }

  enable(name: string): void {
    this.get(name);
    this.disabled.delete(name);
    this.version++;
  }

  /** Names currently disabled, including ones not registered right now. */
  disabledNames(): string[] {
    return [...this.disabled].sort();
  }

  resolveTask(name: string): Runnable {
    return this.get(name);
  }

  resolveProcessor(name: string): Processor<any, any> {
    const found = this.processorMap.get(name);
    if (found !== undefined) return found.value;
    throw this.unknown('processor', name, [...this.processorMap.keys()], ErrorCode.UNKNOWN_PROCESSOR);
  }

  processors(): Array<{ name: string; description: string | undefined; source: string }> {
    return [...this.processorMap.values()]
      .map(({ value, source }) => ({ name: value.name, description: value.description, source }))
      .sort((a, b) => compareNames(a.name, b.name));
  }

  getBackend(name: string): ExecutionBackend {
    const found = this.backendMap.get(name);
    if (found !== undefined) return found.value;
    throw this.unknown('backend', name, [...this.backendMap.keys()], ErrorCode.UNKNOWN_BACKEND);
  }

  backends(): Array<{ name: string; source: string }> {
    return [...this.backendMap.values()].map(({ value, source }) => ({ name: value.name, source }));
  }

  /** Where a name was registered from, if it is registered. */
  sourceOf(kind: 'task' | 'processor' | 'backend', name: string): string | undefined {
    const map = kind === 'task' ? this.runnables : kind === 'processor' ? this.processorMap : this.backendMap;
    return map.get(name)?.source;
  }

  private put<T>(map: Map<string, Registered<T>>, name: string, value: T, source: string, kind: string): void {
    const existing = map.get(name);
    if (existing !== undefined && existing.value !== value) {
      throw new CascadenceError(ErrorCode.DUPLICATE_NAME, `${kind} "${name}" is provided twice: by ${existing.source} and by ${source}`, {
        details: { kind, name, sources: [existing.source, source] },
      });
    }
    map.set(name, { value, source });
    this.version++;
  }

  private unknown(kind: 'task' | 'processor' | 'backend', name: string, known: string[], code: string): CascadenceError {
    const broken = this.unavailable.get(`${kind}:${name}`);
    if (broken !== undefined) return broken;
    const suggestions = closestNames(name, known);
    const capability = kind === 'task' ? 'task' : kind;
    const suspects = this.brokenProviders.filter((b) => b.provides.length === 0 || b.provides.includes(capability));
    if (suspects.length > 0 && suggestions.length === 0) {
      const [first] = suspects as [(typeof suspects)[number]];
      return new CascadenceError(
        code,
        `unknown ${kind} "${name}"; it may come from a plugin that failed to load: ${suspects.map((s) => s.error.message).join('; ')}`,
        { cause: first.error, suggestions: first.error.suggestions, details: { [kind]: name, plugins: suspects.map((s) => s.plugin) } },
      );
    }
    const unknown = unknownName(kind, name, known);
    return new CascadenceError(code, unknown.message, { suggestions: unknown.suggestions, details: { [kind]: name, known } });
  }
}
