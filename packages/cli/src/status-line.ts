/**
 * The one live status line a command keeps at the bottom of a terminal (`… running: a, b`).
 * Anything else printed meanwhile — step lines, task log lines on stderr, notices — goes through
 * `above()`, which clears the line first and redraws it after, so text is never glued onto it.
 */
class StatusLine {
  private text: string | undefined;

  /** Shows `text` as the status line (only when stdout is a terminal). */
  draw(text: string): void {
    if (process.stdout.isTTY !== true) return;
    process.stdout.write(`\r\x1b[K${text}`);
    this.text = text;
  }

  /** Removes the status line, if one is shown. */
  clear(): void {
    if (this.text === undefined) return;
    process.stdout.write('\r\x1b[K');
    this.text = undefined;
  }

  /** Runs `write` (which prints whole lines) with the status line out of the way. */
  above(write: () => void): void {
    const shown = this.text;
    this.clear();
    write();
    if (shown !== undefined) this.draw(shown);
  }
}

export const statusLine = new StatusLine();
