// Verbatim copy of a README example (test/readme-examples.test.ts keeps them equal); compiled by typecheck.
import { Engine, flow } from '../src/index';

const diamond = flow('diamond')
  .step('fetch', { run: async () => [1, 2, 3] })
  .step('sum', { needs: ['fetch'], run: (ctx) => ctx.results.fetch.reduce((a, b) => a + b, 0) })
  .step('count', { needs: ['fetch'], run: (ctx) => ctx.results.fetch.length })
  .step('mean', { needs: ['sum', 'count'], run: (ctx) => ctx.results.sum / ctx.results.count })
  .build();
const result = await new Engine().run(diamond);
console.log(result.status, result.output); // succeeded { mean: 2 }
console.log(result.steps.sum.output); // 6 — typed number | undefined
