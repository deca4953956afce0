import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { SqlDriver, Statement } from './driver';
import { HistoryErrorCode, historyError } from './errors';

/** `PRAGMA application_id` of a Cascadence history file ("CSCD"): tells ours from other SQLite files. */
export const APPLICATION_ID = 0x43534344;

export interface SqliteOptions {
  /** How long a write waits for another process's lock before giving up. */
  busyTimeoutMs: number;
  readonly: boolean;
}

/**
 * SQLite through better-sqlite3: WAL mode, so one writer and many readers across processes
 * (a scheduler writing while `task runs` reads). Statements are prepared once and cached.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite';
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(
    readonly where: string,
    private readonly db: Database.Database,
  ) {}

  /**
   * Opens (or creates) the file. Refuses, without writing to it, a file that is not a SQLite
   * database or is another program's database.
   */
  static open(path: string, options: SqliteOptions): SqliteDriver {
    const existed = existsSync(path) && statSync(path).size > 0;
    if (!existed && options.readonly) {
      throw historyError(HistoryErrorCode.UNAVAILABLE, `no run history at ${path} yet (nothing has been recorded)`, { details: { path } });
    }
    let db: Database.Database;
    try {
      if (!existed) mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { timeout: options.busyTimeoutMs, readonly: options.readonly, fileMustExist: options.readonly });
    } catch (error) {
      throw translateSqliteError(error, path, 'open');
    }
    try {
      const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
      const appId = db.pragma('application_id', { simple: true }) as number;
      if (tables.n > 0 && appId !== APPLICATION_ID) {
        throw historyError(
          HistoryErrorCode.FOREIGN,
          `${path} is a SQLite database of another program, not a Cascadence run history; it was left untouched`,
          {
            details: { path },
            suggestions: ['point history.path at another file, or move this one away'],
          },
        );
      }
      if (!options.readonly) {
        if (appId !== APPLICATION_ID) db.pragma(`application_id = ${APPLICATION_ID}`);
        db.pragma('journal_mode = WAL');
        // WAL + NORMAL: a crash loses at most the last transactions, never corrupts the file.
        db.pragma('synchronous = NORMAL');
      }
    } catch (error) {
      db.close();
      throw translateSqliteError(error, path, 'open');
    }
    return new SqliteDriver(path, db);
  }

  private prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    try {
      const statement = this.prepare(sql);
      if (statement.reader) return statement.all(...(params as unknown[])) as Row[];
      statement.run(...(params as unknown[]));
      return [];
    } catch (error) {
      throw translateSqliteError(error, this.where, 'read');
    }
  }

  async batch(statements: readonly Statement[]): Promise<void> {
    try {
      this.db
        .transaction(() => {
          for (const { sql, params } of statements) this.prepare(sql).run(...(params as unknown[]));
        })
        .immediate();
    } catch (error) {
      throw translateSqliteError(error, this.where, 'write');
    }
  }

  async withMigrationLock<T>(fn: (driver: SqlDriver) => Promise<T>): Promise<T> {
    // BEGIN IMMEDIATE takes the write lock: a second process opening at the same time waits here.
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      throw translateSqliteError(error, this.where, 'write');
    }
    try {
      const result = await fn(this);
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** SQLite's error codes turned into history errors that name the file and what to do. */
export function translateSqliteError(error: unknown, path: string, doing: 'open' | 'read' | 'write'): Error {
  if (
    error instanceof Error &&
    (error as { code?: unknown }).code !== undefined &&
    String((error as { code?: unknown }).code).startsWith('CASCADENCE_')
  )
    return error;
  const code = String((error as { code?: unknown })?.code ?? '');
  const message = error instanceof Error ? error.message : String(error);
  const details = { path, sqliteCode: code };
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return historyError(HistoryErrorCode.CORRUPT, `${path} is not a readable run history (${message}); it was left untouched`, {
      cause: error,
      details,
      suggestions: ['move the file away to start a new history; keep it if you want to inspect it'],
    });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return historyError(HistoryErrorCode.LOCKED, `the run history ${path} stayed locked by another process beyond the busy timeout`, {
      cause: error,
      details,
      suggestions: ['find the process holding the lock (a long transaction in another program)'],
    });
  }
  return historyError(HistoryErrorCode.UNAVAILABLE, `could not ${doing} the run history ${path}: ${message}`, { cause: error, details });
}
