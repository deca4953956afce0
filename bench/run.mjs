// Runs every suite in ./suites (or those named on the command line) in this one process and
// prints one table. Figures are for comparison within a run, never assertions: machines are noisy.
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1';
const json = args.includes('--json');
const only = args.filter((a) => !a.startsWith('--'));

const files = (await readdir(join(here, 'suites')))
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.some((name) => f.startsWith(name)))
  .sort();

const rows = [];
for (const file of files) {
  const suite = await import(pathToFileURL(join(here, 'suites', file)).href);
  process.stderr.write(`bench: ${file}${quick ? ' (quick)' : ''}\n`);
  const started = Date.now();
  for (const row of await suite.run({ quick })) rows.push({ suite: file.replace(/\.bench\.mjs$/, ''), ...row });
  process.stderr.write(`bench: ${file} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

if (json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  printTable(rows);
}

/**
 * Each row: { suite, case, value, unit, ratio?, baseline?, target?, met? } — ratio is this case's
 * figure divided by the baseline's (for times, lower is better), `met` says whether `target` holds.
 */
function printTable(rows) {
  const headers = ['suite', 'case', 'value', 'unit', 'ratio', 'vs', 'target', 'met'];
  const cells = rows.map((r) => [
    r.suite,
    r.case,
    formatNumber(r.value),
    r.unit ?? '',
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
    r.baseline ?? '',
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => String(c[i]).length)));
  const line = (values) =>
    values
      .map((v, i) => String(v).padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
}

function formatNumber(value) {
  if (typeof value !== 'number') return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(3);
}
