import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import plugin from '../src';

// What the loader reads before importing anything (package.json's "cascadence" manifest) must
// agree with what the code registers.
describe('the plugin object and the manifest', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));

  it('the default export is a plugin named like the package, with the manifest apiVersion', () => {
    expect(plugin).toMatchObject({ kind: 'plugin', name: pkg.name, apiVersion: pkg.cascadence.apiVersion });
  });

  it('the manifest lists exactly what the plugin provides', () => {
    expect(pkg.cascadence.provides).toEqual(['processor']);
    expect(plugin.processors?.map((p) => p.name)).toEqual(pkg.cascadence.processors);
    expect(plugin.tasks ?? []).toEqual([]);
  });

  it('the package name follows the plugin naming convention, core is a peer dependency', () => {
    expect(pkg.name).toMatch(/^(@[^/]+\/)?cascadence-plugin(-[a-z0-9-]+)?$/);
    expect(Object.keys(pkg.peerDependencies)).toEqual(['@cascadence/core']);
    expect(pkg.dependencies?.['@cascadence/core']).toBeUndefined();
  });
});
