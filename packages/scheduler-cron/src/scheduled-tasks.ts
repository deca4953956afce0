import { CascadenceError, ErrorCode, type Registry, type Runnable } from '@cascadence/core';
import { didYouMean } from './errors';

/** The tasks a scheduler may fire: those it was given, then those of its registry. */
export class ScheduledTasks {
  private readonly own = new Map<string, Runnable>();

  constructor(private readonly registry: Registry | undefined) {}

  add(runnable: Runnable): void {
    this.own.set(runnable.name, runnable);
  }

  resolve(name: string): Runnable | undefined {
    const own = this.own.get(name);
    if (own !== undefined) return own;
    if (this.registry?.has(name)) return this.registry.get(name);
    return undefined;
  }

  /** `CASCADENCE_UNKNOWN_TASK` naming the known tasks, with a suggestion when one is close. */
  unknownError(name: string): CascadenceError {
    const known = new Set(this.own.keys());
    for (const entry of this.registry?.list() ?? []) known.add(entry.name);
    const { hint, suggestions } = didYouMean(name, [...known]);
    return new CascadenceError(ErrorCode.UNKNOWN_TASK, `cannot schedule unknown task "${name}"${hint}`, {
      details: { task: name, known: [...known] },
      suggestions,
    });
  }
}
