/**
 * `@cascadence/core/dag` is what the workflow sandbox runs: Temporal's own bundler must accept it
 * (it refuses Node built-ins), and the bundle must pull in nothing from Node.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';

type Configuration = Parameters<NonNullable<Parameters<typeof bundleWorkflowCode>[0]['webpackConfigHook']>>[0];

/** The temp folder has no node_modules: resolve packages from this one's. */
const fromThisPackage = (config: Configuration): Configuration => ({
  ...config,
  resolve: { ...config.resolve, modules: [path.join(__dirname, '..', 'node_modules'), 'node_modules'] },
});

describe('@cascadence/core/dag in the workflow sandbox', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cascadence-dag-sandbox-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("bundles with Temporal's bundleWorkflowCode and imports no Node module", async () => {
    const file = path.join(dir, 'uses-dag.ts');
    // Touch every runtime export so that nothing is tree-shaken away.
    writeFileSync(
      file,
      `import * as dag from '@cascadence/core/dag';\nexport async function usesDag(): Promise<number> { return Object.keys(dag).length; }\n`,
    );
    const { code } = await bundleWorkflowCode({
      workflowsPath: file,
      logger: new DefaultLogger('WARN'),
      webpackConfigHook: fromThisPackage,
    });
    expect(code).toContain('RunState');
    expect(code).not.toMatch(/require\(["'](node:|fs|crypto|perf_hooks|path|os)["']\)/);
    expect(code).not.toContain('randomUUID');
  });

  it('refuses a module that imports Node (the check above can fail)', async () => {
    const file = path.join(dir, 'uses-node.ts');
    writeFileSync(
      file,
      `import { randomUUID } from 'node:crypto';\nexport async function usesNode(): Promise<string> { return randomUUID(); }\n`,
    );
    const said: string[] = [];
    const logger = new DefaultLogger('ERROR', (entry) => said.push(entry.message));
    await expect(bundleWorkflowCode({ workflowsPath: file, logger, webpackConfigHook: fromThisPackage })).rejects.toThrow(
      /Webpack finished with errors/,
    );
    // Refused for the Node import, and for nothing else.
    const errors = said.join('\n').split('ERROR in ').slice(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^node:crypto/);
  });
});
