/**
 * Colour for people, never for programs. On when the stream is a terminal; `NO_COLOR` (any
 * non-empty value, https://no-color.org) turns it off and wins; `FORCE_COLOR` (non-empty, not
 * `0`/`false`) turns it on even in a pipe; `FORCE_COLOR=0` turns it off. `--json` output never has
 * colour (commands print JSON without a palette).
 */
export interface Palette {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const same = (text: string): string => text;

/** No colour: every style returns the text as it is. */
export const plain: Palette = { green: same, red: same, yellow: same, dim: same, bold: same };

const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;

const ansi: Palette = { green: sgr(32, 39), red: sgr(31, 39), yellow: sgr(33, 39), dim: sgr(2, 22), bold: sgr(1, 22) };

export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  return stream.isTTY === true;
}

/** The palette for text written to `stream`. */
export function paletteFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Palette {
  return colourEnabled(stream, env) ? ansi : plain;
}
