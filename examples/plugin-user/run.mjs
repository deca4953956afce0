// Runs flows/publish-post.yml's flow using only @cascadence/core's public API, to show that the
// plugins listed in package.json are discovered from node_modules and do the work.
// Until the `task` CLI is ready: `node run.mjs` (`--check` also verifies the outputs).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineFlow, Engine, loadPlugins } from '@cascadence/core';
import config from './cascadence.config.mjs';
import * as tasks from './tasks.mjs';

const projectDir = dirname(fileURLToPath(import.meta.url));
const check = process.argv.includes('--check');

// 1. Plugins: every dependency named like a plugin (discover), plus config.plugins.use, minus deny.
const { registry, loaded, failed } = await loadPlugins({
  projectDir,
  plugins: config.plugins.use,
  deny: config.plugins.deny,
  discover: config.plugins.discover,
});
console.log(`plugins: ${loaded.map((p) => `${p.name}@${p.version}`).join(', ') || 'none'}`);
if (failed.length > 0) process.exitCode = 1;

// 2. The project's own tasks (config.tasks).
for (const task of Object.values(tasks)) registry.add(task, './tasks.mjs');

// 3. The same flow as flows/publish-post.yml, written in JS.
const flow = defineFlow({
  name: 'publish-post',
  description: 'Make a slug with a third-party plugin, then use it from shell steps',
  steps: {
    slug: { uses: 'slugify', with: { text: 'Hello, Wörld! Writing Cascadence plugins', maxLength: 40 } },
    path: {
      uses: 'shell',
      needs: ['slug'],
      timeoutMs: 10_000,
      with: { command: `printf 'content/posts/%s.md' "$CASCADENCE_RESULT_SLUG"` },
    },
    runtime: { uses: 'shell', retry: { attempts: 2, backoff: 'fixed', delayMs: 200 }, with: { args: ['node', '--version'] } },
    announce: { task: 'announce', needs: ['slug', 'path', 'runtime'] },
  },
});

// 4. Run it; the registry resolves `uses:` and `task:` names.
const engine = new Engine({ resolver: registry });
const result = await engine.run(flow);

console.log(`flow ${flow.name}: ${result.status} in ${Math.round(result.durationMs)} ms`);
for (const [id, step] of Object.entries(result.steps)) {
  const shown = step.error
    ? step.error.message
    : typeof step.output === 'object' && step.output !== null && 'stdout' in step.output
      ? step.output.stdout
      : step.output;
  console.log(`  ${id.padEnd(9)} ${step.status.padEnd(10)} ${typeof shown === 'string' ? shown : JSON.stringify(shown)}`);
}
if (result.status !== 'succeeded') process.exitCode = 1;

if (check) {
  const expected = {
    slug: 'hello-world-writing-cascadence-plugins',
    path: 'content/posts/hello-world-writing-cascadence-plugins.md',
    runtime: process.version,
  };
  const actual = {
    slug: result.steps.slug.output,
    path: result.steps.path.output?.stdout,
    runtime: result.steps.runtime.output?.stdout,
  };
  const names = loaded
    .map((p) => p.name)
    .sort()
    .join(',');
  const problems = Object.entries(expected)
    .filter(([key, value]) => actual[key] !== value)
    .map(([key, value]) => `${key}: expected ${JSON.stringify(value)}, got ${JSON.stringify(actual[key])}`);
  if (names !== '@cascadence/plugin-shell,cascadence-plugin-slugify') problems.push(`plugins loaded: ${names}`);
  if (problems.length > 0) {
    console.error(`check failed:\n  ${problems.join('\n  ')}`);
    process.exitCode = 1;
  } else {
    console.log('check passed');
  }
}
