// Preloaded into the soak's scheduler process (NODE_OPTIONS=--expose-gc --require ...): on
// SIGUSR2 it runs a full GC and prints the heap and RSS that remain, so memory is compared
// between two post-GC states instead of two arbitrary points of the allocation sawtooth.
'use strict';
process.on('SIGUSR2', () => {
  global.gc();
  const { heapUsed, rss } = process.memoryUsage();
  process.stderr.write(`[soak-gc] heapUsedKb=${Math.round(heapUsed / 1024)} rssKb=${Math.round(rss / 1024)}\n`);
});
