/**
 * Plugin package names. Third-party: `cascadence-plugin-<x>`, `@scope/cascadence-plugin-<x>`,
 * `@scope/cascadence-plugin`; first-party: `@cascadence/plugin-<x>`.
 */
const PREFIX = 'cascadence-plugin';
const FIRST_PARTY_SCOPE = '@cascadence';
/**
 * First-party packages that are also plugins under their own name (their default export is a
 * plugin). A config may list them; discovery never picks them up, since they are also used in code.
 */
const FIRST_PARTY_PLUGIN_PACKAGES: ReadonlySet<string> = new Set(['@cascadence/otel']);

/**
 * Expands a shorthand the way users write it in a config file:
 * `acme` → `cascadence-plugin-acme`, `@acme/s3` → `@acme/cascadence-plugin-s3`,
 * `@acme` → `@acme/cascadence-plugin`, `@cascadence/shell` → `@cascadence/plugin-shell`.
 * Full names, first-party plugin packages (`@cascadence/otel`), and paths (starting with `.` or
 * `/`), come back unchanged.
 */
export function normalizePluginName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.startsWith('.') || trimmed.startsWith('/') || FIRST_PARTY_PLUGIN_PACKAGES.has(trimmed)) return trimmed;
  if (trimmed.startsWith('@')) {
    const slash = trimmed.indexOf('/');
    if (slash === -1) return `${trimmed}/${PREFIX}`;
    const scope = trimmed.slice(0, slash);
    const rest = trimmed.slice(slash + 1);
    if (scope === FIRST_PARTY_SCOPE) return rest.startsWith('plugin-') ? trimmed : `${scope}/plugin-${rest}`;
    if (rest === PREFIX || rest.startsWith(`${PREFIX}-`)) return trimmed;
    return `${scope}/${PREFIX}-${rest}`;
  }
  if (trimmed === PREFIX || trimmed.startsWith(`${PREFIX}-`)) return trimmed;
  return `${PREFIX}-${trimmed}`;
}

// The rules npm applies to new package names: lower case, URL-safe, one optional scope, no leading
// dot or underscore, at most 214 characters. Excludes every `..`, `/x/` or absolute-path trick.
const VALID_PACKAGE_NAME = /^(?:@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/;

/** Whether `name` is a valid npm package name (as npm requires of new packages). */
export function isValidPackageName(name: string): boolean {
  return (
    typeof name === 'string' && name.length <= 214 && VALID_PACKAGE_NAME.test(name) && name !== 'node_modules' && name !== 'favicon.ico'
  );
}

/**
 * Whether a name is meant as a plugin package (it starts like one), valid or not: discovery reports
 * such a name when it is not a valid package name instead of skipping it silently.
 */
export function looksLikePluginPackageName(name: string): boolean {
  if (name.startsWith(`${FIRST_PARTY_SCOPE}/plugin-`)) return true;
  const rest = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  return rest === PREFIX || rest.startsWith(`${PREFIX}-`) || rest.startsWith(`${PREFIX}/`);
}

/** Whether a dependency name follows the plugin naming convention (so discovery considers it). */
export function isPluginPackageName(name: string): boolean {
  if (!isValidPackageName(name)) return false;
  if (name.startsWith(`${FIRST_PARTY_SCOPE}/plugin-`)) return name.length > `${FIRST_PARTY_SCOPE}/plugin-`.length;
  if (name.startsWith('@')) {
    const rest = name.slice(name.indexOf('/') + 1);
    return name.includes('/') && (rest === PREFIX || (rest.startsWith(`${PREFIX}-`) && rest.length > PREFIX.length + 1));
  }
  return name.startsWith(`${PREFIX}-`) && name.length > PREFIX.length + 1;
}
