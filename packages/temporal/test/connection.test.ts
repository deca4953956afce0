/** Connection failures fail fast with the address in the message; secrets never show. */
import { CascadenceError, defineFlow, defineTask } from '@cascadence/core';
import { TemporalBackend, createWorker, replay } from '../src';
import { freePort } from '../src/testing';
import { bundlePath, describeTemporal, serverAddress } from './helpers';

const task = defineTask({ name: 'noop', run: () => 'ok' });
const SECRET = 'sk-very-secret-api-key-1234567890';

function everything(error: unknown): string {
  const e = error as CascadenceError & { cause?: Error };
  return [e.message, e.stack, JSON.stringify(e.details), JSON.stringify(e.suggestions), e.cause?.message, e.cause?.stack, String(e)].join(
    '\n',
  );
}

describe('connection failures', () => {
  it('a server that is down: CASCADENCE_TEMPORAL_CONNECT naming the address, within the connect timeout', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const backend = new TemporalBackend({ address, taskQueue: 'q', connectTimeoutMs: 1000 });
    const error = await backend.run(task).catch((e: unknown) => e);
    expect(CascadenceError.isInstance(error, 'CASCADENCE_TEMPORAL_CONNECT')).toBe(true);
    expect((error as Error).message).toContain(`cannot connect to Temporal at ${address}`);
    expect((error as Error).message).toContain('within 1000 ms');
    expect((error as CascadenceError).suggestions.join('\n')).toContain('temporal server start-dev');
    await backend.close();
  }, 15_000);

  it('the worker fails the same way', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const error = await createWorker({
      address,
      taskQueue: 'q',
      tasks: [task],
      connectTimeoutMs: 1000,
      workflowBundle: { code: '' },
    }).catch((e: unknown) => e);
    expect(CascadenceError.isInstance(error, 'CASCADENCE_TEMPORAL_CONNECT')).toBe(true);
    expect((error as Error).message).toContain(address);
  }, 15_000);

  it('an API key never appears in the error, its cause or its details', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const backend = new TemporalBackend({ address, taskQueue: 'q', apiKey: SECRET, connectTimeoutMs: 1000 });
    const error = await backend.run(task).catch((e: unknown) => e);
    expect((error as Error).message).toContain('TLS on');
    expect(everything(error)).not.toContain(SECRET);
    expect(everything(error)).not.toContain(SECRET.slice(0, 12));
    await backend.close();
  }, 15_000);
});

describeTemporal('connection failures against a running server', () => {
  it('a namespace that does not exist: CASCADENCE_TEMPORAL_NAMESPACE naming it and the address', async () => {
    const backend = new TemporalBackend({ address: serverAddress(), namespace: 'no-such-namespace', taskQueue: 'q' });
    const error = await backend.run(task).catch((e: unknown) => e);
    expect(CascadenceError.isInstance(error, 'CASCADENCE_TEMPORAL_NAMESPACE')).toBe(true);
    expect((error as Error).message).toBe(`Temporal namespace "no-such-namespace" does not exist on ${serverAddress()}`);
    const workerError = await createWorker({
      address: serverAddress(),
      namespace: 'no-such-namespace',
      taskQueue: 'q',
      tasks: [task],
      workflowBundle: { codePath: bundlePath as string },
    }).catch((e: unknown) => e);
    expect(CascadenceError.isInstance(workerError, 'CASCADENCE_TEMPORAL_NAMESPACE')).toBe(true);
    const replayError = await replay('some-workflow-id', { address: serverAddress(), namespace: 'no-such-namespace' }).catch(
      (e: unknown) => e,
    );
    expect(CascadenceError.isInstance(replayError, 'CASCADENCE_TEMPORAL_NAMESPACE')).toBe(true);
  }, 20_000);

  it('TLS against a plaintext server (with an API key): a clear CONNECT error, bounded, secret-free', async () => {
    const backend = new TemporalBackend({ address: serverAddress(), taskQueue: 'q', tls: true, apiKey: SECRET, connectTimeoutMs: 1500 });
    const error = await backend.run(task).catch((e: unknown) => e);
    expect(CascadenceError.isInstance(error, 'CASCADENCE_TEMPORAL_CONNECT')).toBe(true);
    expect((error as Error).message).toContain(`cannot connect to Temporal at ${serverAddress()}`);
    expect((error as Error).message).toContain('TLS on');
    expect((error as CascadenceError).suggestions.join('\n')).toContain('dev server speaks plaintext');
    expect(everything(error)).not.toContain(SECRET);
    await backend.close();
  }, 20_000);

  it('bad definitions fail before anything is sent', async () => {
    const backend = new TemporalBackend({ address: serverAddress(), taskQueue: 'q' });
    const byName = defineFlow({ name: 'by-name', steps: { s: { task: 'elsewhere' } } });
    await expect(backend.start(byName)).rejects.toMatchObject({ code: 'CASCADENCE_UNKNOWN_TASK' });
    await expect(backend.start({} as never)).rejects.toMatchObject({ code: 'CASCADENCE_INVALID_DEFINITION' });
    await backend.close();
  });
});
