import { CliError, CliErrorCode } from '../errors';

/**
 * JSON.parse, but a key repeated in one object is an error (JSON.parse silently keeps the last
 * one, which would drop a flow step or a config setting without a word). Errors start with `shown`.
 */
export function parseJsonStrict(text: string, shown: string): unknown {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CliError(CliErrorCode.CONFIG, `${shown}: invalid JSON: ${(error as Error).message}`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    const where = duplicate.path.length === 0 ? '' : ` in ${duplicate.path.map((p) => JSON.stringify(p)).join('.')}`;
    throw new CliError(
      CliErrorCode.CONFIG,
      `${shown}: duplicate key ${JSON.stringify(duplicate.key)}${where} (line ${duplicate.line}, column ${duplicate.column}); each key may appear once`,
      undefined,
      { details: { path: [...duplicate.path, duplicate.key] } },
    );
  }
  return data;
}

interface Duplicate {
  key: string;
  /** Keys of the enclosing objects (array positions are left out). */
  path: string[];
  line: number;
  column: number;
}

/** The first key that repeats within one object of a text JSON.parse accepted, or undefined. */
export function findDuplicateKey(text: string): Duplicate | undefined {
  // One frame per open object/array: the keys seen so far (null for arrays) and its own key.
  const stack: Array<{ keys: Set<string> | null; key: string | undefined }> = [];
  let pendingKey: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '{' || ch === '[') {
      stack.push({ keys: ch === '{' ? new Set() : null, key: pendingKey });
      pendingKey = undefined;
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    } else if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const frame = stack[stack.length - 1];
      let next = end + 1;
      while (next < text.length && /\s/.test(text[next] as string)) next++;
      if (frame?.keys && text[next] === ':') {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (frame.keys.has(key)) {
          const before = text.slice(0, i);
          const line = before.split('\n').length;
          const column = i - before.lastIndexOf('\n');
          const path = stack.map((f) => f.key).filter((k): k is string => k !== undefined);
          return { key, path, line, column };
        }
        frame.keys.add(key);
        pendingKey = key;
      } else {
        pendingKey = undefined;
      }
      i = end;
    } else if (ch === ',') {
      pendingKey = undefined;
    }
  }
  return undefined;
}
