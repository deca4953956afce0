import { defineTask } from '@cascadence/core';

export interface ExampleInput {
  /** Who to greet; default "world". */
  name?: string;
}

export interface ExampleOutput {
  message: string;
  runId: string;
  attempt: number;
  ranAt: string;
  node: string;
}

/**
 * The built-in `example` task: what a task looks like. It reads its input, logs through ctx.log,
 * honours cancellation through ctx.signal and returns a result that `task run example` prints.
 */
export const exampleTask = defineTask<ExampleInput | undefined, ExampleOutput>({
  name: 'example',
  description: 'Built-in example: greets someone and reports how it ran (input: {"name": "..."})',
  tags: ['builtin'],
  timeoutMs: 10_000,
  run(ctx, input) {
    ctx.signal.throwIfAborted();
    const name = typeof input?.name === 'string' && input.name.trim() !== '' ? input.name.trim() : 'world';
    ctx.log.debug(`example: greeting ${name}`);
    return {
      message: `Hello, ${name}!`,
      runId: ctx.runId,
      attempt: ctx.attempt,
      ranAt: new Date().toISOString(),
      node: process.version,
    };
  },
});
