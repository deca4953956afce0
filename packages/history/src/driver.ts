/** One SQL statement with `?` placeholders (drivers translate them), and its parameters. */
export interface Statement {
  sql: string;
  params: readonly unknown[];
}

/**
 * The little the history store needs from a database: SQLite and PostgreSQL implement it with
 * the same SQL (`?` placeholders, `ON CONFLICT` upserts, DOUBLE PRECISION numbers).
 */
export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  /** Where the data lives, for messages: a file path, or a URL without its password. */
  readonly where: string;
  query<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs the statements in one transaction: all of them or none. */
  batch(statements: readonly Statement[]): Promise<void>;
  /** Runs `fn` holding the store's migration lock (one migrator at a time across processes). */
  withMigrationLock<T>(fn: (driver: SqlDriver) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
