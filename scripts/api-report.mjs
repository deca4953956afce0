#!/usr/bin/env node
// The public surface of every published package, written down and checked, so that a surface
// changes only on purpose. For each entry point in a package's "exports" (`.`, `./dag`, ...),
// API Extractor reads the built `.d.ts` and writes `<package>/api/<entry>.api.md`.
//
//   node scripts/api-report.mjs            # check (pnpm run ci): fails when a report is out of date
//   node scripts/api-report.mjs --update   # rewrite the reports; commit them with the change
//   node scripts/api-report.mjs @cascadence/core   # only the packages named
//
// Run after `pnpm run build`. Exit 1 names each package and entry whose surface changed.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { discoverPackages, entrypoints, notBuiltHint, selectPackages } from './lib/workspace.mjs';

/** The `.d.ts` file an entry point's `import` condition resolves to, or undefined. */
function typesFile(pkg, ep) {
  const node = typeof pkg.exports === 'object' ? pkg.exports[ep] : undefined;
  const types = node?.import?.types ?? node?.types ?? (ep === '.' ? pkg.types : undefined);
  return typeof types === 'string' ? types : undefined;
}

/** `index` for `.`, `dag` for `./dag`, `internal-engine` for `./internal/engine`. */
function reportName(ep) {
  return ep === '.' ? 'index' : ep.slice(2).replaceAll('/', '-');
}

function extract(p, ep, file, { update, tempFolder }) {
  const name = reportName(ep);
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: p.dir,
      mainEntryPointFilePath: path.join(p.dir, file),
      bundledPackages: [],
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            lib: ['ES2023', 'DOM'],
            types: ['node'],
            skipLibCheck: true,
            strict: true,
          },
        },
      },
      apiReport: {
        enabled: true,
        reportFileName: `${name}.api.md`,
        reportFolder: path.join(p.dir, 'api'),
        reportTempFolder: tempFolder,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: 'lf',
      messages: {
        // The report itself is the check; these notes about doc comments are not part of it.
        compilerMessageReporting: { default: { logLevel: 'warning' } },
        extractorMessageReporting: {
          default: { logLevel: 'none' },
          'ae-missing-release-tag': { logLevel: 'none', addToApiReportFile: false },
        },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    configObjectFullPath: undefined,
    packageJsonFullPath: path.join(p.dir, 'package.json'),
  });
  const warnings = [];
  const result = Extractor.invoke(config, {
    localBuild: update,
    messageCallback(message) {
      if (message.logLevel === 'warning' || message.logLevel === 'error') warnings.push(message.formatMessageWithLocation(p.dir));
      message.handled = true;
    },
  });
  return { name, result, warnings, report: path.join(p.dir, 'api', `${name}.api.md`) };
}

function main() {
  const args = process.argv.slice(2);
  const update = args.includes('--update');
  const packages = selectPackages(
    discoverPackages(),
    args.filter((a) => !a.startsWith('--')),
  );
  const unbuilt = packages.map((p) => [p, notBuiltHint(p)]).filter(([, h]) => h);
  for (const [p, h] of unbuilt) console.error(`api-report: ${p.name}: ${h}`);
  if (unbuilt.length > 0) return 1;

  const tempFolder = mkdtempSync(path.join(os.tmpdir(), 'cascadence-api-report-'));
  const failures = [];
  try {
    for (const p of packages) {
      for (const ep of entrypoints(p.pkg)) {
        const file = typesFile(p.pkg, ep);
        if (file === undefined) continue; // a bin-only or untyped entry has no surface to report
        const label = `${p.name}${ep === '.' ? '' : ep.slice(1)}`;
        if (!existsSync(path.join(p.dir, file))) {
          failures.push(`${label}: ${file} does not exist (build first)`);
          continue;
        }
        if (update) mkdirSync(path.join(p.dir, 'api'), { recursive: true });
        const { result, warnings, report } = extract(p, ep, file, { update, tempFolder });
        const rel = path.relative(process.cwd(), report);
        if (result.apiReportChanged && !update) {
          failures.push(
            `${label}: the public API differs from ${rel}.\n` +
              `  If the change is on purpose, run \`node scripts/api-report.mjs --update\` and commit ${rel}.`,
          );
        } else if (!result.succeeded) failures.push(`${label}: API Extractor failed:\n  ${warnings.join('\n  ')}`);
        else console.log(`${update && result.apiReportChanged ? 'updated' : 'ok     '} ${label}  (${rel})`);
      }
    }
  } finally {
    rmSync(tempFolder, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    console.error(`\napi-report: ${failures.length} problem(s):\n\n${failures.join('\n\n')}`);
    return 1;
  }
  return 0;
}

process.exitCode = main();
