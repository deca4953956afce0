import type { Document } from 'yaml';
import { CliError, CliErrorCode } from '../errors';

export interface ParsedYaml {
  doc: Document;
  /** " (line L, column C)" of the node at `path`, or "" when it cannot be found. */
  positionOf(path: ReadonlyArray<string | number>): string;
  toJS(): unknown;
}

/**
 * Parses YAML; syntax errors name the file, line and column. Alias expansion is capped (alias
 * bombs). The `yaml` package is loaded on first use: commands that read no YAML start faster.
 */
export async function parseYaml(text: string, file: string): Promise<ParsedYaml> {
  const { LineCounter, parseDocument } = await import('yaml');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const [first] = doc.errors;
  if (first !== undefined) {
    const pos = first.linePos?.[0] ?? (first.pos?.[0] === undefined ? undefined : lineCounter.linePos(first.pos[0]));
    const where = pos === undefined ? '' : ` at line ${pos.line}, column ${pos.col}`;
    throw new CliError(CliErrorCode.CONFIG, `${file}: invalid YAML${where}: ${first.message.split('\n')[0]}`);
  }
  const positionOf = (path: ReadonlyArray<string | number>): string => {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range !== undefined) {
        const { line, col } = lineCounter.linePos(range[0]);
        return ` (line ${line}, column ${col})`;
      }
    }
    return '';
  };
  return {
    doc,
    positionOf,
    toJS: () => {
      try {
        return doc.toJS({ maxAliasCount: 100 });
      } catch (error) {
        throw new CliError(CliErrorCode.CONFIG, `${file}: ${(error as Error).message}`);
      }
    },
  };
}
