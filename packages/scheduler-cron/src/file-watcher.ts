import { existsSync, mkdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { toError, type Logger } from '@cascadence/core';
import type { Clock } from './clock';
import { resolveWriteTargetSync, sameSignature, signatureOf, type FileSignature } from './files';

/** What the watcher calls back into. */
export interface FileWatcherContext {
  /** The schedules file (absolute). */
  readonly path: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Quiet time after a change before `reload` is called. */
  readonly debounceMs: number;
  /** Re-reads the file; it records the signature it read through `known`. */
  reload(): Promise<void>;
  /** A reload that failed. */
  onError(error: Error): void;
}

/**
 * Notices changes other processes make to the schedules file: fs.watch on its folder (and on
 * its target's folder when it is a symlink), plus one `stat` per scheduler wake-up where
 * fs.watch is unreliable. A change is compared with the signature of the version last read.
 */
export class ScheduleFileWatcher {
  /** Size/mtime/inode of the version last read or written by this process (undefined: no file). */
  known: FileSignature | undefined;
  private watchers: FSWatcher[] = [];
  private reloadTimer: unknown;
  private watching = false;

  constructor(private readonly context: FileWatcherContext) {}

  start(): void {
    this.watching = true;
    const path = this.context.path;
    const places = new Map<string, string>([[dirname(path), basename(path)]]);
    try {
      const target = resolveWriteTargetSync(path);
      if (target !== path) places.set(dirname(target), basename(target));
    } catch {
      // an unreadable link: the per-wake-up stat still notices changes
    }
    for (const [dir, name] of places) {
      try {
        if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
        const watcher = watch(dir, { persistent: false }, (_event, filename) => {
          if (filename === null || filename === name || [...places.values()].includes(filename)) this.scheduleReload();
        });
        watcher.on('error', (error) => {
          this.context.logger.warn(`stopped watching ${dir} (${error.message}); changes are still noticed at each timer`);
          watcher.close();
          this.watchers = this.watchers.filter((w) => w !== watcher);
        });
        this.watchers.push(watcher);
      } catch (error) {
        this.context.logger.warn(`cannot watch ${dir} (${toError(error).message}); changes are still noticed at each timer`);
      }
    }
  }

  stop(): void {
    this.watching = false;
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    if (this.reloadTimer !== undefined) this.context.clock.clearTimeout(this.reloadTimer);
    this.reloadTimer = undefined;
  }

  /** One `stat` now (at each wake-up): schedules a reload when the file is not the one last read. */
  checkNow(): void {
    let signature: FileSignature | undefined;
    try {
      signature = signatureOf(statSync(this.context.path));
    } catch {
      signature = undefined;
    }
    if (!sameSignature(signature, this.known)) this.scheduleReload();
  }

  private scheduleReload(): void {
    if (!this.watching) return;
    if (this.reloadTimer !== undefined) this.context.clock.clearTimeout(this.reloadTimer);
    this.reloadTimer = this.context.clock.setTimeout(() => {
      this.reloadTimer = undefined;
      void this.reloadIfChanged();
    }, this.context.debounceMs);
  }

  private async reloadIfChanged(): Promise<void> {
    if (!this.watching) return;
    let signature: FileSignature | undefined;
    try {
      signature = signatureOf(await stat(this.context.path));
    } catch {
      signature = undefined;
    }
    if (sameSignature(signature, this.known)) return;
    try {
      await this.context.reload();
    } catch (error) {
      this.context.onError(toError(error));
    }
  }
}
