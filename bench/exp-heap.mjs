import { Engine, defineFlow, silentLogger } from '@cascadence/core';
const readR = async (ctx) => { let n = 0; for (const key in ctx.results) n += ctx.results[key]; return n + 1; };
const noRead = async () => 1;
const mk = (run) => defineFlow({ name: 'd', steps: { a: { run }, b: { needs: ['a'], run }, c: { needs: ['a'], run }, d: { needs: ['b', 'c'], run }, z: { needs: ['d'], run } } });
const engine = new Engine({ logger: silentLogger });
async function heap(flow, count = 10000) {
  gc(); gc(); const before = process.memoryUsage().heapUsed;
  const p = []; for (let i = 0; i < count; i++) p.push(engine.run(flow));
  gc(); const during = process.memoryUsage().heapUsed; await Promise.all(p);
  // halfway: after the first step of each
  return Math.round((during - before) / count);
}
async function heapMid(flow, count = 10000) {
  gc(); gc(); const before = process.memoryUsage().heapUsed;
  const p = []; for (let i = 0; i < count; i++) p.push(engine.run(flow));
  await new Promise((r) => setImmediate(r));
  gc(); const during = process.memoryUsage().heapUsed; await Promise.all(p);
  return Math.round((during - before) / count);
}
const hand = async () => { const a = await Promise.resolve(1); const [b, c] = await Promise.all([Promise.resolve(a + 1), Promise.resolve(a + 1)]); const d = await Promise.resolve(b + c + 1); return { z: await Promise.resolve(d + 1) }; };
for (let r = 0; r < 3; r++) {
  const fr = mk(readR), fn = mk(noRead);
  await Promise.all([engine.run(fr), engine.run(fn)]);
  console.log('reading', await heap(fr), 'noread', await heap(fn), 'reading-mid', await heapMid(fr));
  gc(); gc(); const b = process.memoryUsage().heapUsed; const p = []; for (let i = 0; i < 10000; i++) p.push(hand()); gc(); console.log('hand', Math.round((process.memoryUsage().heapUsed - b) / 10000)); await Promise.all(p);
}
