// The package as a plugin: loaded by core's plugin loader from a real project folder, its
// instrumentation traces through the global tracer provider.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineFlow, Engine, isPlugin, silentLogger } from '@cascadence/core';
import { trace } from '@opentelemetry/api';
import tracingPluginDefault, { tracingPlugin } from '../src';
import { inMemoryTracing, one, parentOf, idOf } from './in-memory';

afterEach(() => trace.disable());

describe('the @cascadence/otel plugin', () => {
  test('is the default export, a plugin providing instrumentation (as the package manifest says)', () => {
    expect(tracingPluginDefault).toBe(tracingPlugin);
    expect(isPlugin(tracingPlugin)).toBe(true);
    expect(tracingPlugin.instrumentation?.map((i) => i.name)).toEqual(['opentelemetry-tracing']);
    expect(require('../package.json').cascadence).toEqual({ apiVersion: 1, provides: ['instrumentation'] });
  });

  test('its instrumentation traces runs through the global provider, registered before or after attaching', async () => {
    const engine = new Engine({ logger: silentLogger });
    const detach = tracingPlugin.instrumentation![0]!.attach(engine);
    // Registered after attach, as the `task` CLI registers its provider once plugins are attached.
    const memory = inMemoryTracing();
    trace.setGlobalTracerProvider(memory.provider);
    await engine.run(defineFlow({ name: 'nightly', steps: { a: { run: () => 1 } } }));
    detach();
    const spans = memory.spans();
    expect(parentOf(one(spans, 'cascadence.step a'))).toBe(idOf(one(spans, 'cascadence.run nightly')));
  });

  // In a child process, as `task` loads plugins: under jest's ESM mode the loader's dynamic import
  // can resolve against an earlier test file's torn-down module registry (V8 reuses the compiled
  // import function), which made this test fail depending on file order.
  test('listed in a config as "@cascadence/otel" (not rewritten to @cascadence/plugin-otel), the loader loads it from node_modules', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cascadence-otel-plugin-'));
    try {
      writeFileSync(
        path.join(dir, 'package.json'),
        JSON.stringify({ name: 'p', private: true, dependencies: { '@cascadence/otel': '*' } }),
      );
      mkdirSync(path.join(dir, 'node_modules', '@cascadence'), { recursive: true });
      symlinkSync(path.resolve(__dirname, '..'), path.join(dir, 'node_modules', '@cascadence', 'otel'), 'dir');
      const script = `
        import { loadPlugins } from '@cascadence/core';
        const dir = process.argv[1];
        // A dependency alone is not a plugin: discovery leaves it (code may call instrumentTracing itself).
        const discovered = await loadPlugins({ projectDir: dir, onProblem: () => {} });
        const listed = await loadPlugins({ projectDir: dir, plugins: ['@cascadence/otel'], onProblem: (p) => { throw p.error; } });
        console.log(JSON.stringify({
          discovered: discovered.loaded.map((p) => p.name),
          listed: listed.loaded.map((p) => p.name),
          instrumentation: listed.instrumentation.map((i) => i.plugin + ' ' + i.name),
        }));`;
      // Run from this package so that `@cascadence/core` resolves to the workspace build.
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, dir], {
        cwd: path.resolve(__dirname, '..'),
        encoding: 'utf8',
      });
      expect(JSON.parse(out)).toEqual({
        discovered: [],
        listed: ['@cascadence/otel'],
        instrumentation: ['@cascadence/otel opentelemetry-tracing'],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
