// The versions a generated project or plugin depends on, read from this repository when
// create-cascadence is built (tsup.config.ts) or tested (jest.config.cjs), so they never drift:
// - every @cascadence/* package: its current version, as a caret range (^0.1.0);
// - the tools (typescript, tsup, jest, ...): the exact versions the repository itself pins.
// Not published: the built bundle carries the result as a constant.
const { readFileSync, readdirSync, existsSync } = require('node:fs');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..');
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** Exact versions of tools used by generated projects that this repository does not use itself. */
const EXTRA_TOOLS = {
  // Runs the TypeScript tests of a generated project on Node 20 (node --import tsx --test).
  tsx: '4.23.15',
};

function templateVersions() {
  const cascadence = {};
  for (const parent of ['packages', 'plugins']) {
    for (const entry of readdirSync(path.join(repoRoot, parent))) {
      const file = path.join(repoRoot, parent, entry, 'package.json');
      if (!existsSync(file)) continue;
      const pkg = readJson(file);
      if (pkg.private || !pkg.name.startsWith('@cascadence/')) continue;
      cascadence[pkg.name] = `^${pkg.version}`;
    }
  }
  const root = readJson(path.join(repoRoot, 'package.json'));
  const tools = {};
  for (const name of [
    'typescript',
    '@types/node',
    'tsup',
    'jest',
    '@types/jest',
    '@swc/core',
    '@swc/jest',
    'publint',
    '@arethetypeswrong/cli',
  ]) {
    const version = root.devDependencies[name];
    if (!/^\d+\.\d+\.\d+$/.test(version ?? ''))
      throw new Error(`root package.json: devDependency ${name} must be pinned exactly (got ${version})`);
    tools[name] = version;
  }
  Object.assign(tools, EXTRA_TOOLS);
  const own = readJson(path.join(__dirname, 'package.json'));
  return { generator: own.version, cascadence, tools };
}

module.exports = { templateVersions };
