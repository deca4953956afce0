import type { ExecutionBackend } from './backend';
import { CascadenceError, ErrorCode } from './errors';
import type { EventSource } from './events';
import type { Flow } from './flow';
import type { Logger } from './logger';
import type { Processor } from './processor';
import type { Registry } from './registry';
import type { Task } from './task';

/** The plugin API version this core speaks; a plugin declares the one it was written for. */
export const PLUGIN_API_VERSION = 1;
export const SUPPORTED_PLUGIN_API_VERSIONS: readonly number[] = [1];

export type PluginCapability = 'processor' | 'task' | 'backend' | 'scheduler' | 'instrumentation';
export const PLUGIN_CAPABILITIES: readonly PluginCapability[] = ['processor', 'task', 'backend', 'scheduler', 'instrumentation'];

/** The `cascadence` field of a plugin's package.json, read before any of its code is imported. */
export interface PluginManifest {
  apiVersion: number;
  provides: PluginCapability[];
  /** Optional names it provides, so a broken plugin's names still raise its load error when used. */
  tasks?: string[];
  processors?: string[];
  backends?: string[];
}

/** What a plugin's `setup` receives: the place to register things computed at load time. */
export interface PluginHost {
  readonly registry: Registry;
  readonly projectDir: string;
  readonly log: Logger;
}

/** Creates a scheduler by name (e.g. a plugin offering a queue-backed scheduler). */
export interface SchedulerFactory {
  name: string;
  create(options: Record<string, unknown>): unknown;
}

/** Attaches to an engine, backend or scheduler through its events; returns a detach function. */
export interface Instrumentation {
  name: string;
  attach(target: EventSource): () => void;
}

export interface PluginDefinition {
  /** Usually the package name. */
  name: string;
  apiVersion: number;
  tasks?: Array<Task<any, any, any>>;
  flows?: Array<Flow<any, any>>;
  processors?: Array<Processor<any, any>>;
  backends?: ExecutionBackend[];
  schedulers?: SchedulerFactory[];
  instrumentation?: Instrumentation[];
  setup?(host: PluginHost): void | Promise<void>;
}

export interface Plugin extends Readonly<PluginDefinition> {
  readonly kind: 'plugin';
}

/** A plugin's default export. Checked now, so a malformed plugin fails where it is written. */
export function definePlugin(definition: PluginDefinition): Plugin {
  const problem = pluginShapeProblem(definition);
  if (problem !== undefined) throw new CascadenceError(ErrorCode.PLUGIN_LOAD, problem);
  return Object.freeze({ ...definition, kind: 'plugin' as const });
}

export function isPlugin(value: unknown): value is Plugin {
  return pluginShapeProblem(value) === undefined;
}

/** Why `value` is not a usable plugin object, or undefined when it is. */
export function pluginShapeProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object')
    return `the export is ${value === null ? 'null' : typeof value}, not a plugin object (use definePlugin)`;
  const plugin = value as Partial<PluginDefinition>;
  if (typeof plugin.name !== 'string' || plugin.name === '') return 'the plugin has no name';
  if (typeof plugin.apiVersion !== 'number') return `plugin "${plugin.name}" has no apiVersion`;
  if (!SUPPORTED_PLUGIN_API_VERSIONS.includes(plugin.apiVersion)) {
    return `plugin "${plugin.name}" was written for plugin API ${plugin.apiVersion}; this @cascadence/core supports ${SUPPORTED_PLUGIN_API_VERSIONS.join(', ')}`;
  }
  for (const key of ['tasks', 'flows', 'processors', 'backends', 'schedulers', 'instrumentation'] as const) {
    if (plugin[key] !== undefined && !Array.isArray(plugin[key])) return `plugin "${plugin.name}": ${key} must be an array`;
  }
  if (plugin.setup !== undefined && typeof plugin.setup !== 'function') return `plugin "${plugin.name}": setup must be a function`;
  return undefined;
}
