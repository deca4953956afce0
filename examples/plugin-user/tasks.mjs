import { defineTask } from '@cascadence/core';

/** Sums up what the plugin steps produced; its `needs` bring their outputs in `ctx.results`. */
export const announce = defineTask({
  name: 'announce',
  description: 'Says where the post would be published',
  run(ctx) {
    const { slug, path, runtime } = ctx.results;
    return `"${slug}" → ${path.stdout} (checked with node ${runtime.stdout})`;
  },
});
