import type { SqlDriver, Statement } from './driver';
import { decodeSteps } from './steps-document';
import type { AttemptRecord, RecordedError, RecordedRunStatus, RecordedValue, RunQuery, RunRecord, StepRecord } from './records';

/** A run row as written: the record without the derived `interrupted` status, plus its owner. */
export interface RunRow extends Omit<RunRecord, 'status' | 'host' | 'pid'> {
  status: Exclude<RecordedRunStatus, 'interrupted'>;
  ownerId: string;
}

/** Owner of a run as readers need it to tell a live `running` from an `interrupted` one. */
export interface RunOwner {
  host: string;
  pid: number;
  heartbeatAt: number;
}

/** One attempt inside the steps document (`tries` of a retried step, or a nested flow's step). */
export interface StoredAttempt {
  flow?: string;
  step?: string;
  attempt: number;
  status: AttemptRecord['status'];
  startedAt: number;
  durationMs?: number;
  error?: RecordedError;
}

export interface StoredStep extends Omit<StepRecord, 'runId' | 'reused'> {
  reused?: true;
  /** Every attempt, when there was more than one; a single attempt is the step itself. */
  tries?: StoredAttempt[];
}

/**
 * The steps of one run, stored as one JSON document in the run's row: recording a step is then
 * an object in memory, and a whole run is one row write (two when it outlives a flush).
 */
export interface StepsDocument {
  steps: StoredStep[];
  /** Attempts of steps of nested flows (each names its flow). */
  inner?: StoredAttempt[];
}

const RUN_COLUMNS = `r.id, r.task, r.kind, r.backend, r.workflow_id, r.workflow_run_id, r.trigger_kind, r.schedule, r.retry_of,
  r.owner_id, r.status, r.error, r.failed_step, r.started_at, r.ended_at, r.duration_ms,
  r.input_state, r.input_json, r.input_bytes, r.input_reason, r.updated_at, o.host, o.pid, o.heartbeat_at`;

const RUN_FROM = `cascadence_runs r LEFT JOIN cascadence_owners o ON o.id = r.owner_id`;

export const MAX_QUERY_LIMIT = 10_000;

const RUN_INSERT = `INSERT INTO cascadence_runs (id, task, kind, backend, workflow_id, workflow_run_id, trigger_kind, schedule, retry_of,
    owner_id, status, error, failed_step, started_at, ended_at, duration_ms, input_state, input_json, input_bytes, input_reason, steps, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * The common row (no Temporal ids, no retry, no error, no input value): the always-null columns
 * are left to their NULL default instead of bound one by one (8 fewer parameters, ~1 µs a row).
 */
const RUN_INSERT_PLAIN = `INSERT INTO cascadence_runs (id, task, kind, backend, trigger_kind, schedule,
    owner_id, status, started_at, ended_at, duration_ms, input_state, steps, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const RUN_UPDATE = `UPDATE cascadence_runs SET status = ?, error = ?, failed_step = ?, ended_at = ?, duration_ms = ?,
    steps = COALESCE(?, steps), updated_at = ? WHERE id = ?`;

/** SQL for writing history rows: a run is inserted once, then updated (when it outlives a flush). */
export const write = {
  /** `steps`: the steps document as JSON, or undefined to keep what is stored. */
  insertRun(row: RunRow, steps: string | undefined, updatedAt: number): Statement {
    const input = row.input;
    if (
      row.workflowId === undefined &&
      row.workflowRunId === undefined &&
      row.retryOf === undefined &&
      row.error === undefined &&
      row.failedStep === undefined &&
      input.json === undefined &&
      input.bytes === undefined &&
      input.reason === undefined
    ) {
      return {
        sql: RUN_INSERT_PLAIN,
        params: [
          row.id,
          row.task,
          row.kind,
          row.backend,
          row.trigger,
          row.schedule ?? null,
          row.ownerId,
          row.status,
          row.startedAt,
          row.endedAt ?? null,
          row.durationMs ?? null,
          input.state,
          steps ?? null,
          updatedAt,
        ],
      };
    }
    return {
      sql: RUN_INSERT,
      params: [
        row.id,
        row.task,
        row.kind,
        row.backend,
        row.workflowId ?? null,
        row.workflowRunId ?? null,
        row.trigger,
        row.schedule ?? null,
        row.retryOf ?? null,
        row.ownerId,
        row.status,
        row.error === undefined ? null : JSON.stringify(row.error),
        row.failedStep ?? null,
        row.startedAt,
        row.endedAt ?? null,
        row.durationMs ?? null,
        input.state,
        input.json ?? null,
        input.bytes ?? null,
        input.reason ?? null,
        steps ?? null,
        updatedAt,
      ],
    };
  },
  updateRun(row: RunRow, steps: string | undefined, updatedAt: number): Statement {
    return {
      sql: RUN_UPDATE,
      params: [
        row.status,
        row.error === undefined ? null : JSON.stringify(row.error),
        row.failedStep ?? null,
        row.endedAt ?? null,
        row.durationMs ?? null,
        steps ?? null,
        updatedAt,
        row.id,
      ],
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

export type RunWithOwner = RunRow & { updatedAt: number; owner: RunOwner | undefined };

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
    owner:
      row.host === null || row.host === undefined
        ? undefined
        : { host: row.host as string, pid: Number(row.pid), heartbeatAt: Number(row.heartbeat_at) },
  };
}

/** Reads of the history tables. Status `interrupted` is derived by the caller from the owner. */
export class HistoryReader {
  constructor(private readonly driver: SqlDriver) {}

  /**
   * Newest first. `statuses` filters on the stored status (`running` covers interrupted ones).
   * Each filter has an index (filter, started_at, id), so a page ordered by (started_at, id) is an index range scan.
   */
  async runs(query: RunQuery & { statuses?: readonly string[] }): Promise<RunWithOwner[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.task !== undefined) {
      where.push('r.task = ?');
      params.push(query.task);
    }
    if (query.statuses !== undefined) {
      where.push(`r.status IN (${query.statuses.map(() => '?').join(', ')})`);
      params.push(...query.statuses);
    }
    if (query.trigger !== undefined) {
      where.push('r.trigger_kind = ?');
      params.push(query.trigger);
    }
    if (query.since !== undefined) {
      where.push('r.started_at >= ?');
      params.push(query.since);
    }
    if (query.before !== undefined && query.beforeId !== undefined) {
      // Written so the started_at index gives a range: (started_at, id) < (before, beforeId).
      where.push('r.started_at <= ? AND (r.started_at < ? OR r.id < ?)');
      params.push(query.before, query.before, query.beforeId);
    } else if (query.before !== undefined) {
      where.push('r.started_at < ?');
      params.push(query.before);
    }
    const limit = Math.min(Math.max(1, Math.floor(query.limit ?? 50)), MAX_QUERY_LIMIT);
    const sql = `SELECT ${RUN_COLUMNS} FROM ${RUN_FROM} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.started_at DESC, r.id DESC LIMIT ${limit}`;
    return (await this.driver.query<Record<string, unknown>>(sql, params)).map(toRun);
  }

  /** The run whose id is exactly `id`, if any. */
  async runById(id: string): Promise<RunWithOwner | undefined> {
    const rows = await this.driver.query<Record<string, unknown>>(`SELECT ${RUN_COLUMNS} FROM ${RUN_FROM} WHERE r.id = ?`, [id]);
    return rows.length === 0 ? undefined : toRun(rows[0] as Record<string, unknown>);
  }

  /**
   * Runs whose id is `part`, or starts with it, or ends with it (at most `limit`). Ids are
   * time-ordered (UUIDv7): their start is shared by the runs of a minute, so the short form shown
   * by `task runs` is an id's end (see shortRunId in core), and both ends are accepted here.
   */
  async runsByIdPart(part: string, limit: number): Promise<RunWithOwner[]> {
    const exact = await this.runById(part);
    if (exact !== undefined) return [exact];
    if (part === '') return [];
    const max = Math.max(1, limit);
    // A prefix is a range on the primary key: ids >= part and < part with its last character bumped.
    const upper = part.slice(0, -1) + String.fromCharCode(part.charCodeAt(part.length - 1) + 1);
    const byPrefix = await this.driver.query<{ id: string }>(
      `SELECT id FROM cascadence_runs WHERE id >= ? AND id < ? ORDER BY id LIMIT ${max}`,
      [part, upper],
    );
    // An end has no index (one would cost every insert): a scan of the id index, for lookups by
    // hand. Skipped for a longer part that matched as a start: a UUID's start and end of more than
    // 12 characters cannot be the same text (dashes), and a short part may be either.
    let bySuffix: { id: string }[] = [];
    if (byPrefix.length === 0 || part.length <= 12) {
      const tail = this.driver.dialect === 'sqlite' ? 'substr(id, -?)' : 'right(id, ?::int)';
      bySuffix = await this.driver.query<{ id: string }>(`SELECT id FROM cascadence_runs WHERE ${tail} = ? ORDER BY id LIMIT ${max}`, [
        part.length,
        part,
      ]);
    }
    const ids = [...new Set([...byPrefix, ...bySuffix].map((row) => row.id))].sort().slice(0, max);
    const runs: RunWithOwner[] = [];
    for (const id of ids) {
      const run = await this.runById(id);
      if (run !== undefined) runs.push(run);
    }
    return runs;
  }

  async recentIds(limit: number): Promise<string[]> {
    const rows = await this.driver.query<{ id: string }>(`SELECT id FROM cascadence_runs ORDER BY started_at DESC LIMIT ${limit}`);
    return rows.map((row) => row.id);
  }

  /** The run's steps document (empty when none was written yet). */
  async stepsDocument(runId: string): Promise<StepsDocument> {
    const rows = await this.driver.query<{ steps: string | null }>(`SELECT steps FROM cascadence_runs WHERE id = ?`, [runId]);
    const text = rows[0]?.steps;
    if (text === null || text === undefined) return { steps: [] };
    return decodeSteps(text);
  }

  /**
   * Runs changed after `since` (epoch ms of `updated_at`), oldest change first, ties by id: for
   * live readers. A page ends at (updatedAt, id) of its last row; the next page passes both
   * (`afterId`), since one flush stamps every run of its batch with the same `updated_at`.
   */
  async changedSince(since: number, limit: number, afterId?: string): Promise<RunWithOwner[]> {
    const rows =
      afterId === undefined
        ? await this.driver.query<Record<string, unknown>>(
            `SELECT ${RUN_COLUMNS} FROM ${RUN_FROM} WHERE r.updated_at > ? ORDER BY r.updated_at, r.id LIMIT ${limit}`,
            [since],
          )
        : await this.driver.query<Record<string, unknown>>(
            `SELECT ${RUN_COLUMNS} FROM ${RUN_FROM} WHERE r.updated_at >= ? AND (r.updated_at > ? OR r.id > ?) ORDER BY r.updated_at, r.id LIMIT ${limit}`,
            [since, since, afterId],
          );
    return rows.map(toRun);
  }
}

/** The steps of a document as records. */
export function stepRecords(runId: string, document: StepsDocument): StepRecord[] {
  return document.steps.map(({ tries: _tries, reused, ...step }) => ({ ...step, runId, reused: reused === true }));
}

/** Every attempt of a document: a step's `tries`, or its single attempt; then nested flows' steps. */
export function attemptRecords(runId: string, flow: string | undefined, document: StepsDocument): AttemptRecord[] {
  const out: AttemptRecord[] = [];
  for (const step of document.steps) {
    if (step.tries !== undefined) {
      for (const t of step.tries)
        out.push({
          runId,
          flow,
          step: step.step,
          attempt: t.attempt,
          status: t.status,
          startedAt: t.startedAt,
          durationMs: t.durationMs,
          error: t.error,
        });
    } else if (step.attempts > 0 && step.startedAt !== undefined && !step.reused) {
      const status =
        step.status === 'succeeded' ||
        step.status === 'failed' ||
        step.status === 'cancelled' ||
        step.status === 'running' ||
        step.status === 'skipped'
          ? step.status
          : 'failed';
      out.push({
        runId,
        flow,
        step: step.step,
        attempt: step.attempts,
        status,
        startedAt: step.startedAt,
        durationMs: step.durationMs,
        error: step.error,
      });
    }
  }
  for (const t of document.inner ?? [])
    out.push({
      runId,
      flow: t.flow,
      step: t.step as string,
      attempt: t.attempt,
      status: t.status,
      startedAt: t.startedAt,
      durationMs: t.durationMs,
      error: t.error,
    });
  return out.sort((a, b) => a.startedAt - b.startedAt);
}
