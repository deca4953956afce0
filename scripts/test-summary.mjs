// Adds up the test counts in a CI log (jest's "Tests:" lines and node's test runner "# pass N"
// lines) and prints one closing line: "tests: N passed, N failed, N skipped".
import { readFileSync } from 'node:fs';

const text = readFileSync(process.argv[2], 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
let passed = 0;
let failed = 0;
let skipped = 0;
for (const line of text.split('\n')) {
  const jest = /Tests:\s+(.*\d+ total)/.exec(line);
  if (jest) {
    const count = (word) => Number(new RegExp(`(\\d+) ${word}`).exec(jest[1])?.[1] ?? 0);
    passed += count('passed');
    failed += count('failed');
    skipped += count('skipped') + count('todo');
    continue;
  }
  const node = /# (pass|fail|skipped|todo) (\d+)\s*$/.exec(line);
  if (node) {
    const n = Number(node[2]);
    if (node[1] === 'pass') passed += n;
    else if (node[1] === 'fail') failed += n;
    else skipped += n;
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
