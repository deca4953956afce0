#!/usr/bin/env node
import module from 'node:module';

// Node >= 22.1 keeps the compiled code of the modules below on disk between runs (start-up is
// mostly module loading); older Node has no such cache and skips this.
module.enableCompileCache?.();
const { runBinary } = await import('../dist/index.js');

const code = await runBinary(process.argv.slice(2));
// Exit as soon as the command is done: timers, sockets or steps that user code left running must not
// keep the process alive after the result is printed. A pipe may still hold part of the output
// (writes to a full pipe are queued): an empty write's callback runs once everything before it is out.
const flushed = (stream) => new Promise((resolve) => (stream.writableLength === 0 ? resolve() : stream.write('', resolve)));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
