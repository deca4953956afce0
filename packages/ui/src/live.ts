import type { ServerResponse } from 'node:http';
import type { History, RunRecord } from '@cascadence/history';

/** How long changes are gathered before they go out: a 1,000-step flow must not flood the page. */
export const COALESCE_MS = 100;
const KEEPALIVE_MS = 15_000;

/**
 * Server-sent events: follows the history (any process writing to it) and sends each browser the
 * runs that changed, coalesced — at most one message per COALESCE_MS holding the latest version
 * of each changed run. A change after a quiet spell goes out at once (after the current burst of
 * the same tick): the wait is paid only by changes that follow a message closely.
 */
export class LiveHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly pending = new Map<string, RunRecord>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private readonly keepalive: ReturnType<typeof setInterval>;
  private readonly unsubscribe: () => void;

  constructor(history: Pick<History, 'subscribe'>, pollMs = 50) {
    this.unsubscribe = history.subscribe((run) => this.changed(run), { intervalMs: pollMs });
    // A comment line now and then keeps proxies from closing an idle stream.
    this.keepalive = setInterval(() => this.broadcast(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref?.();
  }

  get size(): number {
    return this.clients.size;
  }

  add(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 1000\n: connected\n\n');
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  /** A run changed: queue it; the latest version of each run wins. */
  changed(run: RunRecord): void {
    this.pending.set(run.id, run);
    if (this.timer === undefined) {
      // 0 after a quiet spell: the rest of this tick's changes still join the same message.
      const wait = Math.max(0, this.lastSentAt + COALESCE_MS - Date.now());
      this.timer = setTimeout(() => this.flush(), wait);
      this.timer.unref?.();
    }
  }

  private flush(): void {
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const runs = [...this.pending.values()];
    this.pending.clear();
    this.lastSentAt = Date.now();
    // JSON on one data line: JSON.stringify never emits a raw newline.
    this.broadcast(`event: runs\ndata: ${JSON.stringify(runs)}\n\n`);
  }

  private broadcast(text: string): void {
    for (const res of this.clients) res.write(text);
  }

  close(): void {
    this.unsubscribe();
    clearInterval(this.keepalive);
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
