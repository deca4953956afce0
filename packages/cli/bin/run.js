#!/usr/bin/env node
import module from 'node:module';

// Node >= 22.1 keeps the compiled code of the modules below on disk between runs (start-up is
// mostly module loading); older Node has no such cache and skips this.
module.enableCompileCache?.();
const args = process.argv.slice(2);
// `task list` is answered without loading oclif when that gives exactly oclif's answer (see
// src/fast-path.ts; CASCADENCE_CLI_NO_FAST_PATH=1 turns it off); everything else goes to oclif.
const { fastPath } = await import('../dist/fast-path.js');
let code = await fastPath(args);
if (code === undefined) {
  const { runBinary } = await import('../dist/index.js');
  code = await runBinary(args);
}
// Exit as soon as the command is done: timers, sockets or steps that user code left running must not
// keep the process alive after the result is printed. A pipe may still hold part of the output
// (writes to a full pipe are queued): an empty write's callback runs once everything before it is out.
const flushed = (stream) => new Promise((resolve) => (stream.writableLength === 0 ? resolve() : stream.write('', resolve)));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
