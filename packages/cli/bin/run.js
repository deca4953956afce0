#!/usr/bin/env node
import { runBinary } from '../dist/index.js';

process.exitCode = await runBinary(process.argv.slice(2));
