import { CascadenceError, defineFlow, Engine, Registry, silentLogger } from '@cascadence/core';
import { SLUGIFY_EMPTY, slugifyProcessor } from '../src';

// Test the processor the way users run it: a real engine resolving `uses: slugify` through a registry.
function run(steps: Parameters<typeof defineFlow>[0]['steps']) {
  const registry = new Registry().addProcessor(slugifyProcessor, 'cascadence-plugin-slugify');
  const engine = new Engine({ resolver: registry, logger: silentLogger });
  return engine.run(defineFlow({ name: 'posts', steps }));
}

describe('the slugify processor', () => {
  it('runs as a flow step, with defaults from its option schema', async () => {
    const result = await run({
      plain: { uses: 'slugify', with: { text: 'Hello, Wörld!' } },
      custom: { uses: 'slugify', with: { text: 'Hello, Wörld!', separator: '_', lowercase: false, maxLength: 5 } },
    });
    expect(result.status).toBe('succeeded');
    expect(result.steps.plain?.output).toBe('hello-world');
    expect(result.steps.custom?.output).toBe('Hello');
  });

  it('text with nothing to keep fails the step with its own error code, naming flow and step', async () => {
    const result = await run({ empty: { uses: 'slugify', with: { text: '!!!' } } });
    const error = result.steps.empty?.error;
    expect(CascadenceError.isInstance(error, SLUGIFY_EMPTY)).toBe(true);
    expect(error?.message).toBe('flow "posts", step "empty": "!!!" has no letters or digits to make a slug from');
  });

  it('a maxLength below 1 fails without retrying', async () => {
    const result = await run({ short: { uses: 'slugify', with: { text: 'x', maxLength: 0 }, retry: { attempts: 3, delayMs: 1 } } });
    expect(result.steps.short?.error).toMatchObject({ code: 'CASCADENCE_NON_RETRYABLE', message: 'flow "posts", step "short": option "maxLength" must be at least 1 (got 0)' });
    expect(result.steps.short?.attempts).toBe(1);
  });

  it('the engine refuses missing, unknown and mistyped options before anything runs', async () => {
    await expect(run({ s: { uses: 'slugify', with: {} } })).rejects.toMatchObject({
      code: 'CASCADENCE_INVALID_OPTIONS',
      message: 'flow "posts", step "s": option "text" is required (string)',
    });
    await expect(run({ s: { uses: 'slugify', with: { text: 'a', sep: '_' } } })).rejects.toMatchObject({
      message: expect.stringContaining('unknown option "sep" (did you mean "separator"?); accepted: text, separator, lowercase, ascii, maxLength'),
    });
    await expect(run({ s: { uses: 'slugify', with: { text: 42 } } })).rejects.toMatchObject({
      message: expect.stringContaining('option "text" must be a string (got number 42)'),
    });
  });
});
