/** The versions generated packages depend on; see versions.cjs (filled in at build time). */
export interface TemplateVersions {
  /** This generator's own version. */
  generator: string;
  /** `@cascadence/*` package name → range (`^0.1.0`), from the repository at build time. */
  cascadence: Record<string, string>;
  /** Tool name → exact version (typescript, tsup, jest, tsx, ...). */
  tools: Record<string, string>;
}

declare const __CREATE_CASCADENCE_VERSIONS__: TemplateVersions | undefined;

/** The versions baked in when create-cascadence was built. */
export function templateVersions(): TemplateVersions {
  if (typeof __CREATE_CASCADENCE_VERSIONS__ === 'undefined') {
    throw new Error('create-cascadence was built without its template versions (tsup.config.ts defines them)');
  }
  return __CREATE_CASCADENCE_VERSIONS__;
}

export function cascadenceRange(versions: TemplateVersions, name: string): string {
  const range = versions.cascadence[name];
  if (range === undefined) throw new Error(`no version known for ${name}`);
  return range;
}

export function toolVersion(versions: TemplateVersions, name: string): string {
  const version = versions.tools[name];
  if (version === undefined) throw new Error(`no version known for ${name}`);
  return version;
}
