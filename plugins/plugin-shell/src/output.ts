import { StringDecoder } from 'node:string_decoder';

/** Bytes of the end of a stream kept apart from the capped capture, for error messages. */
const TAIL_BYTES = 8 * 1024;

/**
 * Collects one output stream of a child process: the first `maxBytes` bytes are kept (the rest
 * is counted and dropped, and `truncated` is set), and the last few KiB are kept separately so
 * an error message can quote the end of stderr even when the capture was cut.
 */
export class OutputCapture {
  /** Bytes received in total, kept or not. */
  totalBytes = 0;
  truncated = false;
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private tail: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    this.totalBytes += chunk.length;
    if (this.kept < this.maxBytes) {
      const room = this.maxBytes - this.kept;
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.chunks.push(part);
      this.kept += part.length;
      if (part.length < chunk.length) this.truncated = true;
    } else if (chunk.length > 0) {
      this.truncated = true;
    }
    const joined = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    this.tail = joined.length > TAIL_BYTES ? Buffer.from(joined.subarray(joined.length - TAIL_BYTES)) : joined;
  }

  /** The kept bytes as UTF-8; a character cut in half by the cap is dropped, not mangled. */
  text(): string {
    const decoder = new StringDecoder('utf8');
    let out = '';
    for (const chunk of this.chunks) out += decoder.write(chunk);
    return this.truncated ? out : out + decoder.end();
  }

  /** The last lines of the whole stream (not only of the kept part), at most `maxLines`. */
  lastLines(maxLines: number): string {
    let start = 0;
    // Skip UTF-8 continuation bytes at the cut.
    while (start < this.tail.length && ((this.tail[start] as number) & 0xc0) === 0x80) start++;
    const text = this.tail.subarray(start).toString('utf8').replace(/\s+$/, '');
    if (text === '') return '';
    let lines = text.split(/\r?\n/);
    // When the tail buffer starts mid-line, that partial first line is dropped unless it is all there is.
    if (this.totalBytes > this.tail.length && lines.length > 1) lines = lines.slice(1);
    return lines.slice(-maxLines).join('\n');
  }
}

/** Removes one final newline (`\n` or `\r\n`), as `$(...)` and execa do. */
export function stripFinalNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

/** Splits a byte stream into complete lines for `echo`; `flush` returns what is left at the end. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.pending + this.decoder.write(chunk);
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  flush(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    if (rest !== '') this.onLine(rest);
  }
}
