import type { RecordedRunStatus, RunQuery } from '@cascadence/history';
import type { RunTriggerKind } from '@cascadence/core';
import { UiErrorCode, uiError } from './errors';

const STATUSES: readonly RecordedRunStatus[] = ['succeeded', 'failed', 'cancelled', 'running', 'interrupted'];
const TRIGGERS: readonly RunTriggerKind[] = ['cli', 'schedule', 'api', 'retry'];
export const MAX_PAGE = 200;

/** The runs page's filters from a query string; a bad value is an error naming the parameter. */
export function runQueryFrom(params: URLSearchParams): RunQuery {
  const query: RunQuery = {};
  const task = params.get('task');
  if (task !== null && task !== '') query.task = task;
  const status = params.get('status');
  if (status !== null && status !== '') {
    if (!STATUSES.includes(status as RecordedRunStatus)) throw badParam('status', status, STATUSES.join(', '));
    query.status = status as RecordedRunStatus;
  }
  const trigger = params.get('trigger');
  if (trigger !== null && trigger !== '') {
    if (!TRIGGERS.includes(trigger as RunTriggerKind)) throw badParam('trigger', trigger, TRIGGERS.join(', '));
    query.trigger = trigger as RunTriggerKind;
  }
  for (const key of ['since', 'before'] as const) {
    const value = params.get(key);
    if (value === null || value === '') continue;
    // Recorded instants carry sub-millisecond fractions: a page cursor is the last row's exact startedAt.
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw badParam(key, value, 'epoch milliseconds');
    query[key] = n;
  }
  const beforeId = params.get('beforeId');
  if (beforeId !== null && beforeId !== '') {
    if (query.before === undefined) throw badParam('beforeId', beforeId, 'a run id, given together with before');
    if (beforeId.length > 200) throw badParam('beforeId', beforeId, 'a run id');
    query.beforeId = beforeId;
  }
  const limit = params.get('limit');
  if (limit !== null && limit !== '') {
    const n = Number(limit);
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PAGE) throw badParam('limit', limit, `1 to ${MAX_PAGE}`);
    query.limit = n;
  } else {
    query.limit = 50;
  }
  return query;
}

function badParam(name: string, value: string, expected: string): Error {
  return uiError(UiErrorCode.BAD_REQUEST, `query parameter ${name}="${value.slice(0, 100)}" is not valid; expected ${expected}`);
}
