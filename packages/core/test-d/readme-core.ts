// Verbatim copy of a README example (test/readme-examples.test.ts keeps them equal); compiled by typecheck.
import { defineTask, Engine, flow } from '../src/index';

const fetchUser = defineTask({
  name: 'fetch-user',
  retry: { attempts: 3, backoff: 'exponential', delayMs: 200 },
  timeoutMs: 5_000,
  run: async (ctx, id: number) => {
    const response = await fetch(`https://example.com/users/${id}`, { signal: ctx.signal });
    const body: unknown = await response.json(); // JSON is checked, not cast
    const name = typeof body === 'object' && body !== null && 'name' in body ? String(body.name) : `user ${id}`;
    return { id, name };
  },
});

const onboarding = flow<number>('onboarding')
  .step('user', { task: fetchUser })
  .step('welcome', { needs: ['user'], run: (ctx) => `Welcome, ${ctx.results.user.name}!` })
  .step('audit', { needs: ['user'], run: (ctx) => ({ audited: ctx.results.user.id }) })
  .step('report', { needs: ['welcome', 'audit'], when: 'all-done', run: (ctx) => ctx.results })
  .build();

const result = await new Engine({ concurrency: 8 }).run(onboarding, 42);
console.log(result.status, result.steps.welcome.output, result.output);
