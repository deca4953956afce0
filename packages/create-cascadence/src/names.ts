import { builtinModules } from 'node:module';

/**
 * Why `name` cannot be published as an npm package, or undefined when it can (the rules of
 * npm's validate-npm-package-name for new packages, without the dependency).
 */
export function packageNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the name is empty';
  if (name.length > 214) return 'the name is longer than 214 characters';
  if (name.trim() !== name) return 'the name starts or ends with spaces';
  if (name !== name.toLowerCase()) return 'the name has capital letters (npm names are lower case)';
  if (name.startsWith('.') || name.startsWith('_')) return 'the name starts with "." or "_"';
  if (['node_modules', 'favicon.ico'].includes(name)) return `"${name}" is a reserved name`;
  if (builtinModules.includes(name)) return `"${name}" is the name of a Node.js core module`;
  const scoped = /^@([^/]+)\/([^/]+)$/.exec(name);
  if (name.startsWith('@') && !scoped) return 'a scoped name looks like @scope/name';
  const parts = scoped ? [scoped[1]!, scoped[2]!] : [name];
  for (const part of parts) {
    if (part.startsWith('.') || part.startsWith('_')) return `"${part}" starts with "." or "_"`;
    if (!/^[a-z0-9._~-]+$/.test(part)) {
      const bad = [...part].find((c) => !/[a-z0-9._~-]/.test(c));
      return `the name has a character npm does not allow (${JSON.stringify(bad)}): use a-z, 0-9, "-", ".", "_" and "~"`;
    }
  }
  return undefined;
}

/** A package name made from a folder name: "My App" → "my-app". */
export function toPackageName(folder: string): string {
  return folder
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '-')
    .replace(/^[._]+/, '')
    .replace(/[^a-z0-9~.\-_@/]+/g, '-')
    .replace(/-+$/, '');
}

/** The plugin naming convention the Cascadence loader discovers (first-party @cascadence/plugin-x excluded). */
export function pluginNameProblem(name: string): string | undefined {
  if (/^@cascadence\//.test(name)) return 'the @cascadence scope is for first-party packages';
  if (/^cascadence-plugin-[a-z0-9][a-z0-9._~-]*$/.test(name)) return undefined;
  if (/^@[^/]+\/cascadence-plugin(-[a-z0-9][a-z0-9._~-]*)?$/.test(name)) return undefined;
  return 'a plugin is discovered only when its name is cascadence-plugin-<x>, @scope/cascadence-plugin-<x> or @scope/cascadence-plugin';
}

/** "slugify" → "cascadence-plugin-slugify"; names that already follow the convention are kept. */
export function toPluginName(folderOrName: string): string {
  const name = toPackageName(folderOrName);
  if (pluginNameProblem(name) === undefined) return name;
  const scoped = /^(@[^/]+)\/(.+)$/.exec(name);
  if (scoped) return `${scoped[1]}/cascadence-plugin-${scoped[2]!.replace(/^cascadence-plugin-?/, '')}`.replace(/-$/, '');
  return `cascadence-plugin-${name.replace(/^cascadence-plugin-?/, '')}`;
}

/** The processor a new plugin starts with: `cascadence-plugin-slugify` → `slugify`, `@acme/cascadence-plugin` → `acme`. */
export function defaultProcessorName(pluginName: string): string {
  const scoped = /^@([^/]+)\/cascadence-plugin(?:-(.+))?$/.exec(pluginName);
  if (scoped) return scoped[2] ?? scoped[1]!;
  return pluginName.replace(/^cascadence-plugin-/, '');
}

/** Names of tasks, flows and processors (core's rule): letters, digits, - _ . : / — here also starting with a letter. */
export function processorNameProblem(name: string): string | undefined {
  if (!/^[a-z][a-z0-9_.:/-]*$/i.test(name))
    return `"${name}" is not a valid processor name: start with a letter, then letters, digits, - _ . : /`;
  return undefined;
}
