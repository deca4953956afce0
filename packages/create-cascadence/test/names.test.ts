import {
  defaultProcessorName,
  packageNameProblem,
  pluginNameProblem,
  processorNameProblem,
  toPackageName,
  toPluginName,
} from '../src/names';
import { pluginShorthand } from '../src/plugin';

describe('package names', () => {
  it.each(['my-app', '@acme/my-app', 'a', 'app.v2', 'x~y', 'cascadence-plugin-slugify'])('%s is a valid npm name', (name) => {
    expect(packageNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['My-App', /capital letters/],
    ['.hidden', /starts with "\."/],
    ['_private', /starts with "\."/],
    ['my app', /character npm does not allow \(" "\)/],
    ['a/b', /character npm does not allow/],
    ['@acme', /@scope\/name/],
    ['@acme/_x', /starts with/],
    ['http', /Node\.js core module/],
    ['node_modules', /reserved/],
    ['x'.repeat(215), /214/],
    ['café', /character npm does not allow \("é"\)/],
  ])('%j is refused (%s)', (name, why) => {
    expect(packageNameProblem(name)).toMatch(why);
  });

  it('a folder name becomes a package name', () => {
    expect(toPackageName('My App')).toBe('my-app');
    expect(toPackageName('.dot')).toBe('dot');
    expect(packageNameProblem(toPackageName('Über Tool!'))).toBeUndefined();
  });
});

describe('plugin names', () => {
  it.each(['cascadence-plugin-slugify', '@acme/cascadence-plugin-s3', '@acme/cascadence-plugin'])('%s follows the convention', (name) => {
    expect(pluginNameProblem(name)).toBeUndefined();
  });

  it.each(['slugify', 'cascadence-plugin', 'plugin-cascadence-x', '@acme/s3', '@cascadence/plugin-x'])('%s does not', (name) => {
    expect(pluginNameProblem(name)).toBeDefined();
  });

  it('names that do not follow it get the prefix', () => {
    expect(toPluginName('slugify')).toBe('cascadence-plugin-slugify');
    expect(toPluginName('cascadence-plugin-slugify')).toBe('cascadence-plugin-slugify');
    expect(toPluginName('@acme/s3')).toBe('@acme/cascadence-plugin-s3');
    expect(toPluginName('My Plugin')).toBe('cascadence-plugin-my-plugin');
  });

  it('processor names and shorthands come from the package name', () => {
    expect(defaultProcessorName('cascadence-plugin-slugify')).toBe('slugify');
    expect(defaultProcessorName('@acme/cascadence-plugin-s3')).toBe('s3');
    expect(defaultProcessorName('@acme/cascadence-plugin')).toBe('acme');
    expect(pluginShorthand('cascadence-plugin-slugify')).toBe('slugify');
    expect(pluginShorthand('@acme/cascadence-plugin-s3')).toBe('@acme/s3');
    expect(pluginShorthand('@acme/cascadence-plugin')).toBe('@acme');
    expect(processorNameProblem('word-count')).toBeUndefined();
    expect(processorNameProblem('9lives')).toMatch(/start with a letter/);
  });
});
