#!/usr/bin/env node
import { runBinary } from '../dist/index.js';

// Exit as soon as the command is done: timers, sockets or steps that user code left running must not
// keep the process alive after the result is printed (stdout and stderr writes are synchronous here).
process.exit(await runBinary(process.argv.slice(2)));
