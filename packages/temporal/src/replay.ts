import { existsSync, readFileSync } from 'node:fs';
import { Client, type Connection } from '@temporalio/client';
import type { NativeConnection, WorkflowBundleOption } from '@temporalio/worker';
import { workerSdk } from './worker-sdk';
import { openClientConnection, resolveConnectionOptions, type TemporalConnectionOptions } from './connection';
import { TemporalErrorCode, temporalError } from './errors';
import { eventTypeName as nameOfEventType, historyFromProtoJson, type HistoryMessage as History } from './history-json';
import { bundleCascadenceWorkflow } from './worker';

export interface ReplayOptions extends TemporalConnectionOptions {
  /** Workflow code to replay against; default: this package's built DAG workflow. */
  workflowsPath?: string;
  workflowBundle?: WorkflowBundleOption;
  /** For fetching a history by workflow id: an existing connection (never closed here). */
  connection?: Connection | NativeConnection;
  /** Run id when fetching by workflow id; default the latest run. */
  runId?: string;
  /** Workflow id given to the replayed workflow (histories do not carry it). */
  workflowId?: string;
}

export interface ReplayDivergence {
  kind: 'nondeterminism' | 'replay-error';
  /** The essential message (Temporal's core error when there is one). */
  message: string;
  /** Everything Temporal said. */
  raw: string;
  /** Id of the history event where the code and the history diverged, when Temporal names it. */
  eventId: number | undefined;
  /** Type of that event (e.g. ActivityTaskScheduled), when known. */
  eventType: string | undefined;
}

export interface ReplayReport {
  ok: boolean;
  /** File path, workflow id, or `history object`. */
  source: string;
  workflowId: string | undefined;
  workflowType: string | undefined;
  /** Number of events in the history. */
  events: number;
  error: ReplayDivergence | undefined;
}

type HistorySource = string | History | { events: unknown[] };

function readHistoryFile(file: string): History {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw temporalError(TemporalErrorCode.HISTORY, `cannot read history file ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const offset = jsonErrorOffset(text);
    let where = '';
    if (offset !== undefined) {
      const before = text.slice(0, offset).split('\n');
      where = ` at line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1}`;
    }
    throw temporalError(TemporalErrorCode.HISTORY, `history file ${file} is not valid JSON${where}: ${message}`, { details: { file } });
  }
  return toHistory(json, file);
}

/** Offset of the first JSON syntax error in `text` (JSON.parse does not always say where). */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = (): void => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if ((text.charCodeAt(i) ?? 0) < 0x20) fail();
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = (): void => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (match === null) fail();
    i += (match as RegExpExecArray)[0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail();
      }
    } else if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) number();
    else fail();
  };
  try {
    value();
    ws();
    return i < text.length ? i : undefined;
  } catch (offset) {
    return typeof offset === 'number' ? offset : undefined;
  }
}

function toHistory(json: unknown, what: string): History {
  const events = (json as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length === 0) {
    throw temporalError(
      TemporalErrorCode.HISTORY,
      `${what} is not a Temporal workflow history: expected { "events": [...] } as printed by \`temporal workflow show --output json\``,
      {
        details: { source: what },
      },
    );
  }
  const first = events[0] as { eventType?: unknown };
  // JSON exports name event types with strings; decoded histories (fetchHistory) use enum numbers.
  if (typeof first.eventType === 'string') {
    try {
      return historyFromProtoJson(json);
    } catch (error) {
      throw temporalError(TemporalErrorCode.HISTORY, `${what} is not a readable Temporal history: ${(error as Error).message}`, {
        details: { source: what },
      });
    }
  }
  return json as History;
}

async function fetchHistory(workflowId: string, options: ReplayOptions): Promise<History> {
  const resolved = resolveConnectionOptions(options);
  const own = options.connection === undefined ? await openClientConnection(resolved) : undefined;
  try {
    const client = new Client({ connection: (options.connection ?? own) as Connection, namespace: resolved.namespace });
    return await client.workflow.getHandle(workflowId, options.runId).fetchHistory();
  } catch (error) {
    if (CascadenceErrorLike(error)) throw error;
    throw temporalError(
      TemporalErrorCode.HISTORY,
      `cannot fetch the history of workflow "${workflowId}" from ${resolved.address} (namespace "${resolved.namespace}"): ${(error as Error).message}`,
      {
        details: { workflowId, address: resolved.address, namespace: resolved.namespace },
      },
    );
  } finally {
    await own?.close().catch(() => undefined);
  }
}

function CascadenceErrorLike(error: unknown): boolean {
  return typeof (error as { code?: unknown })?.code === 'string' && String((error as { code: string }).code).startsWith('CASCADENCE_');
}

function eventTypeName(history: History, eventId: number): string | undefined {
  const event = history.events?.find((e) => Number(e.eventId) === eventId);
  if (event?.eventType === undefined || event.eventType === null) return undefined;
  return nameOfEventType(event.eventType as number) ?? String(event.eventType);
}

function divergence(error: Error, history: History): ReplayDivergence {
  const raw = error.message;
  const inner = /message: "((?:[^"\\]|\\.)*)"/.exec(raw);
  const message = inner === null ? raw : (inner[1] as string).replace(/\\"/g, '"');
  const kind = error instanceof workerSdk().ReplayError || error.name === 'ReplayError' ? 'replay-error' : 'nondeterminism';
  const match = /(?:event[_ ]?id|HistoryEvent\(id|id)[:=\s]+(\d+)/i.exec(raw);
  const eventId = match === null ? undefined : Number(match[1]);
  return { kind, message, raw, eventId, eventType: eventId === undefined ? undefined : eventTypeName(history, eventId) };
}

/**
 * Replays a workflow history against the current workflow code (no server needed for files and
 * objects) and reports whether it is still deterministic, or where it diverged.
 * `source`: a history JSON file (`temporal workflow show --output json`), a history object, or a
 * workflow id to fetch from the server.
 */
export async function replay(source: HistorySource, options: ReplayOptions = {}): Promise<ReplayReport> {
  let history: History;
  let label: string;
  let fetchedId: string | undefined;
  if (typeof source === 'string') {
    if (existsSync(source) || /\.json$/i.test(source)) {
      history = readHistoryFile(source);
      label = source;
    } else {
      history = await fetchHistory(source, options);
      label = `workflow ${source}`;
      fetchedId = source;
    }
  } else {
    history = toHistory(source, 'the history object');
    label = 'history object';
  }
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const workflowType = started?.workflowType?.name ?? undefined;
  const workflowId = options.workflowId ?? fetchedId;
  const bundle =
    options.workflowBundle ?? (await bundleCascadenceWorkflow(...(options.workflowsPath === undefined ? [] : [options.workflowsPath])));
  const report: ReplayReport = { ok: true, source: label, workflowId, workflowType, events: history.events?.length ?? 0, error: undefined };
  try {
    await workerSdk().Worker.runReplayHistory({ workflowBundle: bundle, replayName: 'cascadence-replay' }, history, workflowId);
  } catch (error) {
    report.ok = false;
    report.error = divergence(error instanceof Error ? error : new Error(String(error)), history);
  }
  return report;
}

/** One line per fact, for the CLI: `replay ok: ...` or `replay FAILED: ...`. */
export function formatReplayReport(report: ReplayReport): string {
  const head = `${report.source}${report.workflowType === undefined ? '' : ` (${report.workflowType})`}, ${report.events} events`;
  if (report.ok) return `replay ok: ${head} replayed deterministically against the current workflow code`;
  const error = report.error as ReplayDivergence;
  const at = error.eventId === undefined ? '' : ` at event ${error.eventId}${error.eventType === undefined ? '' : ` (${error.eventType})`}`;
  const hint =
    error.kind === 'nondeterminism'
      ? ' — the current workflow code no longer makes the same decisions as the code that recorded this history (keep the old @cascadence/temporal version for running workflows, or let them finish before upgrading)'
      : '';
  return `replay FAILED: ${head}: ${error.kind === 'nondeterminism' ? 'nondeterminism' : 'replay error'}${at}: ${error.message}${hint}`;
}
