import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __temporalServer?: { stop(): Promise<void> } }).__temporalServer;
  await server?.stop();
  const dir = process.env.CASCADENCE_TEMPORAL_TEST_DIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
