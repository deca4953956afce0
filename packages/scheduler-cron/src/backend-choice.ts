import { Engine, LocalBackend, type EventBus, type ExecutionBackend, type Registry } from '@cascadence/core';
import { optionError } from './errors';

/**
 * The backend a `CronScheduler` runs its jobs on: the one given, one named in the registry, or
 * (by default, and for `local` when the registry has none) a `LocalBackend` whose engine emits on
 * the scheduler's event bus.
 */
export function chooseBackend(
  backend: ExecutionBackend | string | undefined,
  registry: Registry | undefined,
  events: EventBus,
): ExecutionBackend {
  if (backend === undefined) {
    const engineOptions: ConstructorParameters<typeof Engine>[0] = { events };
    if (registry !== undefined) engineOptions.resolver = registry;
    return new LocalBackend(new Engine(engineOptions));
  }
  if (typeof backend === 'string') {
    if (backend === 'local' && registry?.backends().every((b) => b.name !== 'local') !== false)
      return chooseBackend(undefined, registry, events);
    if (registry === undefined)
      throw optionError(`backend "${backend}" is a name but no registry was given to look it up in`, { option: 'backend' });
    return registry.getBackend(backend);
  }
  if (typeof backend.run !== 'function')
    throw optionError('backend must be an ExecutionBackend (with a run() method) or a backend name', { option: 'backend' });
  return backend;
}
