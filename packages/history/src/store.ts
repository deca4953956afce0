import type { SqlDriver, Statement } from './driver';
import type { AttemptRecord, RecordedError, RecordedRunStatus, RecordedValue, RunQuery, RunRecord, StepRecord } from './records';

/** A run row as written: the record without the derived `interrupted` status, plus its owner. */
export interface RunRow extends Omit<RunRecord, 'status' | 'host' | 'pid'> {
  status: Exclude<RecordedRunStatus, 'interrupted'>;
  ownerId: string;
  updatedAt: number;
}

/** Owner of a run as readers need it to tell a live `running` from an `interrupted` one. */
export interface RunOwner {
  host: string;
  pid: number;
  heartbeatAt: number;
}

const RUN_COLUMNS = `r.id, r.task, r.kind, r.backend, r.workflow_id, r.workflow_run_id, r.trigger_kind, r.schedule, r.retry_of,
  r.owner_id, r.status, r.error, r.failed_step, r.started_at, r.ended_at, r.duration_ms,
  r.input_state, r.input_json, r.input_bytes, r.input_reason, r.updated_at, o.host, o.pid, o.heartbeat_at`;

const RUN_FROM = `cascadence_runs r LEFT JOIN cascadence_owners o ON o.id = r.owner_id`;

export const MAX_QUERY_LIMIT = 10_000;

/** SQL for writing history rows; every write is an upsert, so coalesced batches are idempotent. */
export const write = {
  run(row: RunRow): Statement {
    return {
      sql: `INSERT INTO cascadence_runs (id, task, kind, backend, workflow_id, workflow_run_id, trigger_kind, schedule, retry_of,
          owner_id, status, error, failed_step, started_at, ended_at, duration_ms, input_state, input_json, input_bytes, input_reason, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET status = excluded.status, error = excluded.error, failed_step = excluded.failed_step,
          ended_at = excluded.ended_at, duration_ms = excluded.duration_ms, workflow_id = excluded.workflow_id,
          workflow_run_id = excluded.workflow_run_id, updated_at = excluded.updated_at`,
      params: [
        row.id, row.task, row.kind, row.backend, row.workflowId ?? null, row.workflowRunId ?? null, row.trigger, row.schedule ?? null,
        row.retryOf ?? null, row.ownerId, row.status, errorJson(row.error), row.failedStep ?? null, row.startedAt, row.endedAt ?? null,
        row.durationMs ?? null, ...valueParams(row.input), row.updatedAt,
      ],
    };
  },
  step(record: StepRecord): Statement {
    return {
      sql: `INSERT INTO cascadence_steps (run_id, step, status, attempts, started_at, duration_ms, skip_reason, error,
          output_state, output_json, output_bytes, output_reason, reused)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (run_id, step) DO UPDATE SET status = excluded.status, attempts = excluded.attempts, started_at = excluded.started_at,
          duration_ms = excluded.duration_ms, skip_reason = excluded.skip_reason, error = excluded.error, output_state = excluded.output_state,
          output_json = excluded.output_json, output_bytes = excluded.output_bytes, output_reason = excluded.output_reason, reused = excluded.reused`,
      params: [
        record.runId, record.step, record.status, record.attempts, record.startedAt ?? null, record.durationMs ?? null,
        record.skipReason ?? null, errorJson(record.error), ...valueParams(record.output), record.reused ? 1 : 0,
      ],
    };
  },
  attempt(record: AttemptRecord): Statement {
    return {
      sql: `INSERT INTO cascadence_attempts (run_id, flow, step, attempt, status, started_at, duration_ms, error)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (run_id, flow, step, attempt) DO UPDATE SET status = excluded.status, duration_ms = excluded.duration_ms, error = excluded.error`,
      params: [record.runId, record.flow ?? '', record.step, record.attempt, record.status, record.startedAt, record.durationMs ?? null, errorJson(record.error)],
    };
  },
  owner(id: string, host: string, pid: number, startedAt: number, heartbeatAt: number): Statement {
    return {
      sql: `INSERT INTO cascadence_owners (id, host, pid, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
      params: [id, host, pid, startedAt, heartbeatAt],
    };
  },
};

function valueParams(value: RecordedValue): unknown[] {
  return [value.state, value.json ?? null, value.bytes ?? null, value.reason ?? null];
}

function errorJson(error: RecordedError | undefined): string | null {
  return error === undefined ? null : JSON.stringify(error);
}

function parseError(text: unknown): RecordedError | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as RecordedError;
  } catch {
    return { name: 'Error', message: text };
  }
}

function value(state: unknown, json: unknown, bytes: unknown, reason: unknown): RecordedValue {
  return {
    state: state as RecordedValue['state'],
    ...(json === null || json === undefined ? {} : { json: json as string }),
    ...(bytes === null || bytes === undefined ? {} : { bytes: Number(bytes) }),
    ...(reason === null || reason === undefined ? {} : { reason: reason as string }),
  };
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export type RunWithOwner = RunRow & { owner: RunOwner | undefined };

function toRun(row: Record<string, unknown>): RunWithOwner {
  return {
    id: row.id as string,
    task: row.task as string,
    kind: row.kind as 'task' | 'flow',
    backend: row.backend as string,
    workflowId: opt(row.workflow_id as string | null),
    workflowRunId: opt(row.workflow_run_id as string | null),
    trigger: row.trigger_kind as RunRecord['trigger'],
    schedule: opt(row.schedule as string | null),
    retryOf: opt(row.retry_of as string | null),
    ownerId: row.owner_id as string,
    status: row.status as RunRow['status'],
    error: parseError(row.error),
    failedStep: opt(row.failed_step as string | null),
    startedAt: Number(row.started_at),
    endedAt: row.ended_at === null ? undefined : Number(row.ended_at),
    durationMs: row.duration_ms === null ? undefined : Number(row.duration_ms),
    input: value(row.input_state, row.input_json, row.input_bytes, row.input_reason),
    updatedAt: Number(row.updated_at),
    owner: row.host === null || row.host === undefined ? undefined : { host: row.host as string, pid: Number(row.pid), heartbeatAt: Number(row.heartbeat_at) },
  };
}

/** Reads of the history tables. Status `interrupted` is derived by the caller from the owner. */
export class HistoryReader {
  constructor(private readonly driver: SqlDriver) {}

  /**
   * Newest first. `statuses` filters on the stored status (`running` covers interrupted ones).
   * Each filter has an index whose second column is started_at, so a page is an index range scan.
   */
  async runs(query: RunQuery & { statuses?: readonly string[] }): Promise<RunWithOwner[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.task !== undefined) (where.push('r.task = ?'), params.push(query.task));
    if (query.statuses !== undefined) (where.push(`r.status IN (${query.statuses.map(() => '?').join(', ')})`), params.push(...query.statuses));
    if (query.trigger !== undefined) (where.push('r.trigger_kind = ?'), params.push(query.trigger));
    if (query.since !== undefined) (where.push('r.started_at >= ?'), params.push(query.since));
    if (query.before !== undefined) (where.push('r.started_at < ?'), params.push(query.before));
    const limit = Math.min(Math.max(1, Math.floor(query.limit ?? 50)), MAX_QUERY_LIMIT);
    const sql = `SELECT ${RUN_COLUMNS} FROM ${RUN_FROM} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.started_at DESC LIMIT ${limit}`;
    return (await this.driver.query<Record<string, unknown>>(sql, params)).map(toRun);
  }

  /** Runs whose id is `id` or starts with it (at most `limit`). */
  async runsByIdPrefix(prefix: string, limit: number): Promise<RunWithOwner[]> {
    const exact = await this.driver.query<Record<string, unknown>>(`SELECT ${RUN_COLUMNS} FROM ${RUN_FROM} WHERE r.id = ?`, [prefix]);
    if (exact.length > 0) return exact.map(toRun);
    if (prefix === '') return [];
    // A range on the primary key: ids >= prefix and < the prefix with its last character bumped.
    const upper = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    const rows = await this.driver.query<Record<string, unknown>>(
      `SELECT ${RUN_COLUMNS} FROM ${RUN_FROM} WHERE r.id >= ? AND r.id < ? ORDER BY r.id LIMIT ${Math.max(1, limit)}`,
      [prefix, upper],
    );
    return rows.map(toRun);
  }

  async recentIds(limit: number): Promise<string[]> {
    const rows = await this.driver.query<{ id: string }>(`SELECT id FROM cascadence_runs ORDER BY started_at DESC LIMIT ${limit}`);
    return rows.map((row) => row.id);
  }

  async steps(runId: string): Promise<StepRecord[]> {
    const rows = await this.driver.query<Record<string, unknown>>(`SELECT * FROM cascadence_steps WHERE run_id = ?`, [runId]);
    return rows.map((row) => ({
      runId: row.run_id as string,
      step: row.step as string,
      status: row.status as StepRecord['status'],
      attempts: Number(row.attempts),
      startedAt: row.started_at === null ? undefined : Number(row.started_at),
      durationMs: row.duration_ms === null ? undefined : Number(row.duration_ms),
      skipReason: opt(row.skip_reason as string | null),
      error: parseError(row.error),
      output: value(row.output_state, row.output_json, row.output_bytes, row.output_reason),
      reused: Number(row.reused) === 1,
    }));
  }

  async attempts(runId: string): Promise<AttemptRecord[]> {
    const rows = await this.driver.query<Record<string, unknown>>(
      `SELECT * FROM cascadence_attempts WHERE run_id = ? ORDER BY started_at, step, attempt`,
      [runId],
    );
    return rows.map((row) => ({
      runId: row.run_id as string,
      flow: row.flow === '' ? undefined : (row.flow as string),
      step: row.step as string,
      attempt: Number(row.attempt),
      status: row.status as AttemptRecord['status'],
      startedAt: Number(row.started_at),
      durationMs: row.duration_ms === null ? undefined : Number(row.duration_ms),
      error: parseError(row.error),
    }));
  }

  /** Runs changed after `since` (epoch ms of `updated_at`), oldest change first: for live readers. */
  async changedSince(since: number, limit: number): Promise<RunWithOwner[]> {
    const rows = await this.driver.query<Record<string, unknown>>(
      `SELECT ${RUN_COLUMNS} FROM ${RUN_FROM} WHERE r.updated_at > ? ORDER BY r.updated_at LIMIT ${limit}`,
      [since],
    );
    return rows.map(toRun);
  }
}
