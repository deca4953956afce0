/**
 * examples/third-party-plugin is checked against the plugin template, so the two never drift:
 * the files that do not depend on what the processor does must be exactly what the template
 * writes for that package, and its package.json must have the template's shape.
 *
 * After changing the template: UPDATE_PLUGIN_EXAMPLE=1 npx -y pnpm@12.4.2 --filter create-cascadence test
 * rewrites those files of the example (then review the diff).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderPluginScaffold } from '../src/plugin';
import { templateVersions } from '../src/versions';

const exampleDir = resolve(__dirname, '..', '..', '..', 'examples', 'third-party-plugin');
const example = JSON.parse(readFileSync(join(exampleDir, 'package.json'), 'utf8'));
const scaffold = renderPluginScaffold({ name: example.name, processor: 'slugify' }, templateVersions(), {
  with: { text: 'My First Post!' },
  output: 'my-first-post',
});
const { 'package.json': generatedPackageJson, ...sameFiles } = scaffold;

if (process.env.UPDATE_PLUGIN_EXAMPLE === '1') {
  for (const [file, text] of Object.entries(sameFiles)) writeFileSync(join(exampleDir, file), text);
}

describe('examples/third-party-plugin against the plugin template', () => {
  it.each(Object.keys(sameFiles))('%s is what the template writes', (file) => {
    expect(readFileSync(join(exampleDir, file), 'utf8')).toBe(sameFiles[file]);
  });

  it('package.json has the template shape; only private, description and extra keywords differ', () => {
    const generated = JSON.parse(generatedPackageJson!);
    const { private: isPrivate, description, keywords, devDependencies, ...rest } = example;
    expect(isPrivate).toBe(true); // never published from this repository (its README says why)
    expect(typeof description).toBe('string');
    expect(keywords).toEqual(expect.arrayContaining(generated.keywords));
    // In the workspace core comes from the repository itself; the template pins this repository's version.
    expect(devDependencies).toEqual({ ...generated.devDependencies, '@cascadence/core': 'workspace:*' });
    const { description: _d, keywords: _k, devDependencies: _dd, ...generatedRest } = generated;
    expect(rest).toEqual(generatedRest);
  });
});
