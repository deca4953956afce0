import { definePlugin, type Plugin } from '@cascadence/core';
import { slugifyProcessor } from './processor';

export { slugify, type SlugifyOptions } from './slugify';
export { SLUGIFY_EMPTY, slugifyProcessor, type SlugifyProcessorOptions } from './processor';

/**
 * The default export is what Cascadence loads. `name` is the package name; `apiVersion` must
 * match `cascadence.apiVersion` in package.json (the loader checks the manifest first, before
 * importing any code, and definePlugin checks this object when the module is imported).
 */
const plugin: Plugin = definePlugin({
  name: 'cascadence-plugin-slugify',
  apiVersion: 1,
  processors: [slugifyProcessor],
});

export default plugin;
