import { isPluginPackageName, normalizePluginName } from '../src/plugin-name';

describe('normalizePluginName', () => {
  it.each([
    ['acme', 'cascadence-plugin-acme'],
    ['cascadence-plugin-acme', 'cascadence-plugin-acme'],
    ['@acme/s3', '@acme/cascadence-plugin-s3'],
    ['@acme/cascadence-plugin-s3', '@acme/cascadence-plugin-s3'],
    ['@acme', '@acme/cascadence-plugin'],
    ['@acme/cascadence-plugin', '@acme/cascadence-plugin'],
    ['@cascadence/shell', '@cascadence/plugin-shell'],
    ['@cascadence/plugin-shell', '@cascadence/plugin-shell'],
    // A first-party package that is a plugin under its own name.
    ['@cascadence/otel', '@cascadence/otel'],
    ['  acme  ', 'cascadence-plugin-acme'],
    ['./local-plugin', './local-plugin'],
    ['/abs/plugin', '/abs/plugin'],
    ['my-thing', 'cascadence-plugin-my-thing'],
  ])('%s → %s', (input, expected) => {
    expect(normalizePluginName(input)).toBe(expected);
  });

  it('is idempotent', () => {
    for (const name of ['acme', '@acme/s3', '@acme', '@cascadence/http']) {
      const once = normalizePluginName(name);
      expect(normalizePluginName(once)).toBe(once);
    }
  });
});

describe('isPluginPackageName', () => {
  it.each([
    ['cascadence-plugin-acme', true],
    ['@acme/cascadence-plugin-s3', true],
    ['@acme/cascadence-plugin', true],
    ['@cascadence/plugin-shell', true],
    ['cascadence-plugin', false],
    ['cascadence-plugin-', false],
    ['@cascadence/core', false],
    ['@cascadence/otel', false],
    ['@cascadence/plugin-', false],
    ['@acme/s3', false],
    ['acme', false],
    ['my-cascadence-plugin-x', false],
    ['@acme/cascadence-pluginx', false],
    ['lodash', false],
  ])('%s → %s', (name, expected) => {
    expect(isPluginPackageName(name)).toBe(expected);
  });
});
