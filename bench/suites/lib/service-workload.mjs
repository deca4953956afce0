// The service-scale workload (issue 24), shared by suites/service.bench.mjs and ab-core.mjs (which
// runs it against two builds of core, so the flow is given as steps for each build's defineFlow).

/** A step that reads every result it needs (what makes ctx.results matter) and adds one. */
export const read = (ctx) => {
  let n = 0;
  for (const key in ctx.results) n += ctx.results[key];
  return n + 1;
};
export const asyncRead = async (ctx) => read(ctx);

/** The 5-step diamond a -> b, c -> d -> z, every step `run`. */
export function diamondSteps(run) {
  return {
    a: { run },
    b: { needs: ['a'], run },
    c: { needs: ['a'], run },
    d: { needs: ['b', 'c'], run },
    z: { needs: ['d'], run },
  };
}

/** What a careful developer writes by hand for the same flow. */
export async function handWritten() {
  const a = await Promise.resolve(1);
  const [b, c] = await Promise.all([Promise.resolve(a + 1), Promise.resolve(a + 1)]);
  const d = await Promise.resolve(b + c + 1);
  return { z: await Promise.resolve(d + 1) };
}

/** Starts `count` runs at once and waits for all of them. */
export async function concurrently(count, start) {
  const pending = new Array(count);
  for (let i = 0; i < count; i++) pending[i] = start();
  await Promise.all(pending);
}

/** Bytes of heap held per in-flight run: start `count` runs, measure, then let them finish (undefined without --expose-gc). */
export async function heapPerRun(count, start) {
  const gc = globalThis.gc;
  if (gc === undefined) return undefined;
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const pending = new Array(count);
  for (let i = 0; i < count; i++) pending[i] = start();
  gc();
  const during = process.memoryUsage().heapUsed;
  await Promise.all(pending);
  return (during - before) / count;
}
