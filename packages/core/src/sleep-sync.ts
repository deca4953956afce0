let sleepCell: Int32Array | undefined;

/** Blocks the thread: runSync's retry delays have no event loop to wait on. */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait((sleepCell ??= new Int32Array(new SharedArrayBuffer(4))), 0, 0, ms);
}
