import { CascadenceError, defineProcessor, NonRetryableError, type Processor, type TaskContext } from '@cascadence/core';
import { slugify } from './slugify';

export interface SlugifyProcessorOptions {
  text: string;
  separator?: string;
  lowercase?: boolean;
  ascii?: boolean;
  maxLength?: number;
}

/** Our own error code: documented in the README, stable once published. */
export const SLUGIFY_EMPTY = 'CASCADENCE_SLUGIFY_EMPTY';

/**
 * `{ uses: slugify, with: { text: "Hello, World!" } }` → "hello-world".
 * The engine checks `with` against `options` before the run starts: unknown keys, wrong types and
 * missing required options never reach `run`, and defaults are filled in.
 */
export const slugifyProcessor: Processor<SlugifyProcessorOptions, string> = defineProcessor<SlugifyProcessorOptions, string>({
  name: 'slugify',
  description: 'Turns text into a URL slug ("Hello, Wörld!" → "hello-world")',
  options: {
    text: { type: 'string', required: true, description: 'the text to turn into a slug' },
    separator: { type: 'string', default: '-', description: 'put between words' },
    lowercase: { type: 'boolean', default: true, description: 'lower-case the slug' },
    ascii: { type: 'boolean', default: false, description: 'keep only a-z and 0-9' },
    maxLength: { type: 'integer', description: 'cut at a word boundary to at most this many characters' },
  },
  run(ctx, options) {
    const where = stepWhere(ctx);
    // What the schema cannot say (ranges, combinations) is checked here. Retrying cannot fix it: NonRetryableError.
    if (options.maxLength !== undefined && options.maxLength < 1) {
      throw new NonRetryableError(`${where}: option "maxLength" must be at least 1 (got ${options.maxLength})`);
    }
    const slug = slugify(options.text, options);
    if (slug === '') {
      throw new CascadenceError(SLUGIFY_EMPTY, `${where}: ${JSON.stringify(options.text)} has no letters or digits to make a slug from`, {
        details: { text: options.text },
      });
    }
    return slug;
  },
});

/** Errors name the flow and step, like the engine's own: `flow "publish", step "slug": ...`. */
function stepWhere(ctx: TaskContext): string {
  return ctx.flow === undefined ? `step "${ctx.stepId}"` : `flow "${ctx.flow}", step "${ctx.stepId}"`;
}
