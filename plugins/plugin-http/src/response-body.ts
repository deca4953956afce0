import type { ResponseType } from './options';

export interface ReadBody {
  bytes: Uint8Array;
  /** The body was longer than the limit: `bytes` holds only its beginning and the rest was not read. */
  tooLarge: boolean;
}

/** Reads at most `limit` bytes of the body; stops (and cancels the stream) as soon as it is over. */
export async function readLimited(response: Response, limit: number): Promise<ReadBody> {
  if (response.body === null) return { bytes: new Uint8Array(0), tooLarge: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let tooLarge = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > limit) {
      chunks.push(value.subarray(0, limit - size));
      size = limit;
      tooLarge = true;
      await reader.cancel().catch(() => {});
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { bytes, tooLarge };
}

/** Whether a content-type names JSON: application/json, application/problem+json, text/json, ... */
export function isJsonContentType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const mime = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return mime === 'application/json' || mime === 'text/json' || mime.endsWith('+json');
}

/** Which reading `auto` means for this response. */
export function effectiveType(responseType: ResponseType, contentType: string | null): 'json' | 'text' {
  if (responseType !== 'auto') return responseType;
  return isJsonContentType(contentType) ? 'json' : 'text';
}

/** The charset of a content-type, when TextDecoder knows it; UTF-8 otherwise. */
export function decodeText(bytes: Uint8Array, contentType: string | null): string {
  const charset = /;\s*charset="?([^";\s]+)"?/i.exec(contentType ?? '')?.[1];
  if (charset !== undefined) {
    try {
      return new TextDecoder(charset).decode(bytes);
    } catch {
      // unknown charset: fall back to UTF-8
    }
  }
  return new TextDecoder('utf-8').decode(bytes);
}

/** A short one-line excerpt of a body for error messages. */
export function excerpt(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
