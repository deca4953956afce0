import pg from 'pg';
import type { SqlDriver, Statement } from './driver';
import { HistoryErrorCode, historyError } from './errors';

/** Key of the advisory lock that serialises schema migrations between hosts ("CSCD"). */
const MIGRATION_LOCK_KEY = 0x43534344;

/** Turns `?` placeholders into PostgreSQL's `$1, $2, ...` (our SQL has no `?` inside literals). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

type Queryable = Pick<pg.PoolClient, 'query'>;

/** PostgreSQL through node-postgres: a small pool, one connection per batch transaction. */
export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres';

  private constructor(
    readonly where: string,
    private readonly pool: pg.Pool,
    private readonly client: Queryable | undefined,
  ) {}

  static async open(url: string, options: { connectTimeoutMs: number }): Promise<PostgresDriver> {
    const where = redactUrl(url);
    const pool = new pg.Pool({
      connectionString: url,
      max: 4,
      connectionTimeoutMillis: options.connectTimeoutMs,
      idleTimeoutMillis: 10_000,
      allowExitOnIdle: true,
    });
    // An idle client losing its connection must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw translatePostgresError(error, where, 'connect to');
    }
    return new PostgresDriver(where, pool, undefined);
  }

  async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    try {
      const result = await (this.client ?? this.pool).query(numbered(sql), params as unknown[]);
      return result.rows as Row[];
    } catch (error) {
      throw translatePostgresError(error, this.where, 'read');
    }
  }

  async batch(statements: readonly Statement[]): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw translatePostgresError(error, this.where, 'connect to');
    }
    try {
      await client.query('BEGIN');
      for (const { sql, params } of statements) await client.query(numbered(sql), params as unknown[]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw translatePostgresError(error, this.where, 'write');
    } finally {
      client.release();
    }
  }

  async withMigrationLock<T>(fn: (driver: SqlDriver) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((error: unknown) => {
      throw translatePostgresError(error, this.where, 'connect to');
    });
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const result = await fn(new PostgresDriver(this.where, this.pool, client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

function translatePostgresError(error: unknown, where: string, doing: string): Error {
  if (error instanceof Error && String((error as { code?: unknown }).code ?? '').startsWith('CASCADENCE_')) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = String((error as { code?: unknown })?.code ?? '');
  return historyError(HistoryErrorCode.UNAVAILABLE, `could not ${doing} the run history at ${where}: ${message}`, {
    cause: error,
    details: { url: where, pgCode: code },
  });
}
