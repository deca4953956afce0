import { CascadenceError } from '@cascadence/core';
import { ScheduleErrorCode } from './errors';

/**
 * The schedules file's bytes as text that turns back into the very same bytes.
 *
 * - A UTF-8 byte-order mark is remembered and written back.
 * - Bytes that are not valid UTF-8 (a comment saved as Latin-1, say) become lone surrogates
 *   U+DC80..U+DCFF (Python's "surrogateescape") instead of U+FFFD, and are written back as the
 *   original bytes. Valid UTF-8 never decodes to a lone surrogate, so the mapping is lossless.
 * - The line-ending style (LF or CRLF) is detected so that inserted lines use it.
 * - UTF-16 and UTF-32 files (recognised by their byte-order mark) are refused: they cannot be
 *   edited without re-encoding the whole file.
 */
export interface SourceText {
  /** The text without the BOM; invalid bytes as U+DC80..U+DCFF. */
  text: string;
  bom: boolean;
  /** Line ending for inserted lines: the file's own (CRLF when any line ends in CRLF). */
  eol: '\n' | '\r\n';
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeSource(bytes: Uint8Array, path: string): SourceText {
  if (
    (bytes[0] === 0xff && bytes[1] === 0xfe) ||
    (bytes[0] === 0xfe && bytes[1] === 0xff) ||
    (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xfe && bytes[3] === 0xff)
  ) {
    throw new CascadenceError(
      ScheduleErrorCode.SCHEDULES_INVALID,
      `${path}: the schedules file is UTF-16 or UTF-32 (it starts with that byte-order mark); save it as UTF-8 — it was not changed`,
      { details: { path, encoding: 'utf-16/32' } },
    );
  }
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const body = bom ? bytes.subarray(3) : bytes;
  let text: string;
  try {
    text = strict.decode(body);
  } catch {
    text = decodeEscaping(body);
  }
  return { text, bom, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

/** Turns edited text back into bytes: the BOM if the file had one, escaped bytes as they were. */
export function encodeSource(source: Pick<SourceText, 'bom'>, text: string): Buffer {
  const body = ESCAPED.test(text) ? encodeEscaping(text) : Buffer.from(text, 'utf8');
  return source.bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) : body;
}

/** A lone low surrogate in the escape range (not the second half of a pair). */
const ESCAPED = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

function decodeEscaping(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      // Runs of ASCII in one go.
      let j = i + 1;
      while (j < n && (bytes[j] as number) < 0x80) j++;
      out += String.fromCharCode(...bytes.subarray(i, Math.min(j, i + 8192)));
      i = Math.min(j, i + 8192);
      continue;
    }
    const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length > 0 && i + length <= n) {
      try {
        out += strict.decode(bytes.subarray(i, i + length));
        i += length;
        continue;
      } catch {
        // not a valid sequence: escape its first byte
      }
    }
    out += String.fromCharCode(0xdc00 + b);
    i++;
  }
  return out;
}

function encodeEscaping(text: string): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xdc80 && code <= 0xdcff) {
      const prev = i > 0 ? text.charCodeAt(i - 1) : 0;
      if (prev >= 0xd800 && prev <= 0xdbff) continue;
      if (i > start) parts.push(Buffer.from(text.slice(start, i), 'utf8'));
      parts.push(Buffer.from([code - 0xdc00]));
      start = i + 1;
    }
  }
  if (start < text.length) parts.push(Buffer.from(text.slice(start), 'utf8'));
  return Buffer.concat(parts);
}
