import { compareNames, sanitizeForTerminal, sanitizeLinesForTerminal, type PluginCapability } from '@cascadence/core';
import { toJson } from './output';
import type { Project } from './project/project';

/**
 * What `task list` uses of plugins: their tasks and flows (`kind: 'task' | 'flow'` are both the
 * `task` capability). A plugin whose manifest provides only processors, backends, schedulers or
 * instrumentation is not imported for it (the oclif command and the fast path alike): the listing
 * does not depend on them — a flow's `uses:` is resolved when it runs, not when it is listed.
 */
export const LIST_PLUGIN_NEEDS: readonly PluginCapability[] = ['task'];

/**
 * What `task list` prints on stdout, byte for byte: one row per task and flow, or `--json`. Used by
 * the oclif command and by the fast path (fast-path.ts), so both print the same.
 */
export function listOutput(project: Project, json: boolean): string {
  const entries: Array<{
    name: string;
    kind: 'task' | 'flow';
    enabled: boolean;
    description: string | null;
    source: string;
    error?: string;
  }> = project.registry
    .list()
    .map(({ name, kind, enabled, description, source }) => ({ name, kind, enabled, description: description ?? null, source }));
  // Broken flow files are listed too, with their error, so they are not silently missing.
  for (const broken of project.brokenFlows) {
    entries.push({
      name: broken.name,
      kind: 'flow',
      enabled: project.registry.isEnabled(broken.name),
      description: null,
      source: broken.file,
      error: broken.error.message,
    });
  }
  entries.sort((a, b) => compareNames(a.name, b.name));
  if (json) return `${toJson(entries)}\n`;
  // Names and descriptions come from flow files and plugins: escape control characters, so a
  // newline cannot forge a row and an escape sequence cannot reach the terminal.
  const rows = entries.map((e) => ({
    ...e,
    name: sanitizeForTerminal(e.name),
    description: e.error !== undefined ? sanitizeForTerminal(e.error) : e.description === null ? '' : sanitizeForTerminal(e.description),
  }));
  const width = Math.max(4, ...rows.map((e) => e.name.length));
  return rows
    .map((e) => {
      const state = e.error !== undefined ? 'broken  ' : e.enabled ? 'enabled ' : 'disabled';
      return `${sanitizeLinesForTerminal(`${e.name.padEnd(width)}  ${e.kind.padEnd(4)}  ${state}  ${e.description}`.trimEnd())}\n`;
    })
    .join('');
}
