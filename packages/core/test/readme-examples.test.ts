/**
 * The typed examples of the root README and this package's README are kept verbatim in
 * test-d/readme-*.ts (importing from src instead of the package), where `pnpm run typecheck`
 * compiles them: a README example that stops compiling, or that drifts from its copy, fails.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..', '..');

function firstTsBlock(readme: string, after: string): string {
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf('```ts\n', text.indexOf(after));
  if (start < 0) throw new Error(`no ts block after ${after} in ${readme}`);
  return text.slice(start + 6, text.indexOf('```\n', start + 6));
}

function copyOf(file: string): string {
  const text = readFileSync(path.join(__dirname, '..', 'test-d', file), 'utf8');
  return text.slice(text.indexOf('import ')).replace("from '../src/index';", "from '@cascadence/core';");
}

describe('README examples', () => {
  it("the root README's first flow example is the one type-checked in test-d", () => {
    expect(copyOf('readme-root.ts')).toBe(firstTsBlock(path.join(root, 'README.md'), '## A first look'));
  });

  it("the core README's first example is the one type-checked in test-d", () => {
    expect(copyOf('readme-core.ts')).toBe(firstTsBlock(path.join(root, 'packages', 'core', 'README.md'), '# @cascadence/core'));
  });
});
