/**
 * Reads a workflow history in proto3 JSON (what `temporal workflow show --output json` and the
 * Temporal UI export) into the History message that `Worker.runReplayHistory` replays.
 *
 * Why not the SDK's `historyFromJSON` (or `runReplayHistory` given the JSON, which calls it)?
 * It pairs protobufjs' protojson extension from `@temporalio/common`'s copy of protobufjs with
 * the message types of `@temporalio/proto`'s copy. npm installs one copy per package when the
 * root already holds another major version (protobufjs 7 from @grpc/proto-loader), and then
 * every call fails with `type must be a Type`. Here the conversion is driven by the schema of
 * `@temporalio/proto` alone and ends in its own `fromObject`, so no two copies ever meet.
 */
import * as protoModule from '@temporalio/proto';
import type { temporal } from '@temporalio/proto';

export type HistoryMessage = temporal.api.history.v1.IHistory;

/** The protobufjs reflection surface used here (Type, Field, Enum of @temporalio/proto's root). */
interface ReflectionField {
  name: string;
  repeated: boolean;
  map: boolean;
  resolvedType: ReflectionType | ReflectionEnum | null;
  resolve(): ReflectionField;
}
interface ReflectionType {
  fullName: string;
  fields: Record<string, ReflectionField>;
  fromObject(object: Record<string, unknown>): unknown;
  encode(message: unknown): { finish(): Uint8Array };
}
interface ReflectionEnum {
  fullName: string;
  values: Record<string, number>;
}
interface ProtoRoot {
  lookupType(name: string): ReflectionType;
}

// ESM sees the CommonJS module as `default`; CommonJS sees it directly.
const root = ((protoModule as unknown as { default?: unknown }).default ?? protoModule) as typeof protoModule & ProtoRoot;
const historyType = root.temporal.api.history.v1.History as unknown as ReflectionType;

/** A value in the history that proto3 JSON does not allow; names where it is. */
export class HistoryJsonError extends TypeError {}

function isEnum(t: ReflectionType | ReflectionEnum): t is ReflectionEnum {
  return (t as ReflectionEnum).values !== undefined && (t as ReflectionType).fields === undefined;
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i;
const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

function nanosOf(fraction: string | undefined): number {
  return fraction === undefined ? 0 : Number(fraction.padEnd(9, '0'));
}

function timestamp(value: unknown, at: string): Record<string, unknown> {
  const match = typeof value === 'string' ? TIMESTAMP.exec(value) : null;
  const millis = match === null ? NaN : Date.parse(`${match[1]}${match[3]}`);
  if (match === null || Number.isNaN(millis))
    throw new HistoryJsonError(`${at}: expected an RFC 3339 timestamp, got ${JSON.stringify(value)}`);
  return { seconds: String(Math.floor(millis / 1000)), nanos: nanosOf(match[2]) };
}

function duration(value: unknown, at: string): Record<string, unknown> {
  const match = typeof value === 'string' ? DURATION.exec(value) : null;
  if (match === null) throw new HistoryJsonError(`${at}: expected a duration like "1.5s", got ${JSON.stringify(value)}`);
  const sign = match[1] === '-' ? -1 : 1;
  const nanos = nanosOf(match[3]);
  return { seconds: `${match[1] ?? ''}${match[2]}`, nanos: nanos === 0 ? 0 : sign * nanos };
}

/** google.protobuf.Value from any JSON value. */
function structValue(value: unknown): Record<string, unknown> {
  if (value === null) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(structValue) } };
  return { structValue: structOf(value as Record<string, unknown>) };
}

function structOf(value: Record<string, unknown>): Record<string, unknown> {
  return { fields: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structValue(v)])) };
}

const WRAPPERS = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((t) => `.google.protobuf.${t}Value`),
);

/** The common prefix of an enum's value names (`EVENT_TYPE_`), which older exports leave out. */
function enumPrefix(e: ReflectionEnum): string {
  const names = Object.keys(e.values);
  let prefix = names[0] ?? '';
  for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix.slice(0, prefix.lastIndexOf('_') + 1);
}

/** `WorkflowExecutionStarted` → `WORKFLOW_EXECUTION_STARTED`. */
function constantCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function enumValue(e: ReflectionEnum, value: unknown): unknown {
  if (typeof value !== 'string' || value in e.values) return value;
  const long = `${enumPrefix(e)}${constantCase(value)}`;
  return long in e.values ? long : value;
}

function message(type: ReflectionType, value: unknown, at: string): unknown {
  switch (type.fullName) {
    case '.google.protobuf.Timestamp':
      return timestamp(value, at);
    case '.google.protobuf.Duration':
      return duration(value, at);
    case '.google.protobuf.Struct':
      return structOf(value as Record<string, unknown>);
    case '.google.protobuf.Value':
      return structValue(value);
    case '.google.protobuf.ListValue':
      return { values: (value as unknown[]).map(structValue) };
    case '.google.protobuf.FieldMask':
      return { paths: typeof value === 'string' && value !== '' ? value.split(',') : [] };
    case '.google.protobuf.Any':
      return anyMessage(value, at);
    default:
      if (WRAPPERS.has(type.fullName)) return { value };
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new HistoryJsonError(`${at}: expected an object for ${type.fullName.slice(1)}, got ${JSON.stringify(value)}`);
      }
      return fields(type, value as Record<string, unknown>, at);
  }
}

function anyMessage(value: unknown, at: string): Record<string, unknown> {
  const { '@type': typeUrl, ...rest } = (value ?? {}) as Record<string, unknown>;
  if (typeof typeUrl !== 'string') throw new HistoryJsonError(`${at}: a google.protobuf.Any without "@type"`);
  const inner = root.lookupType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
  // Well-known types put their JSON form under "value"; other messages spread their fields.
  const body = inner.fullName.startsWith('.google.protobuf.') && 'value' in rest ? message(inner, rest.value, at) : fields(inner, rest, at);
  return { typeUrl, value: inner.encode(inner.fromObject(body as Record<string, unknown>)).finish() };
}

function single(field: ReflectionField, value: unknown, at: string): unknown {
  const t = field.resolvedType;
  if (t === null) return value; // scalars: fromObject takes int64 as strings, bytes as base64, "NaN"
  return isEnum(t) ? enumValue(t, value) : message(t, value, at);
}

/** Converts the proto3 JSON of one message into the object form `fromObject` takes. */
function fields(type: ReflectionType, json: Record<string, unknown>, at: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    // Unknown fields (a newer server's) are left out, as the SDK's reader does.
    const field = type.fields[key] ?? Object.values(type.fields).find((f) => snakeCase(f.name) === key);
    if (field === undefined || value === null) continue;
    field.resolve();
    const where = `${at}.${key}`;
    if (field.map) {
      out[field.name] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, single(field, v, `${where}.${k}`)]),
      );
    } else if (field.repeated) {
      if (!Array.isArray(value)) throw new HistoryJsonError(`${where}: expected a list`);
      out[field.name] = value.map((v, i) => single(field, v, `${where}[${i}]`));
    } else {
      out[field.name] = single(field, value, where);
    }
  }
  return out;
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * A History message from its proto3 JSON form (`{ "events": [...] }`). Throws a TypeError naming
 * the path of the first value that is not valid proto3 JSON.
 */
export function historyFromProtoJson(json: unknown): HistoryMessage {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events)) {
    throw new HistoryJsonError('expected an object with an "events" list');
  }
  return historyType.fromObject(fields(historyType, json as Record<string, unknown>, 'history')) as HistoryMessage;
}

const eventTypes = root.temporal.api.enums.v1.EventType as unknown as Record<string, number | string>;

/** `25` → `MarkerRecorded`: the name of a history event type, from @temporalio/proto's own enum. */
export function eventTypeName(code: number): string | undefined {
  const name = eventTypes[code];
  if (typeof name !== 'string' || name === 'EVENT_TYPE_UNSPECIFIED') return undefined;
  return name
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_m, _s: string, c: string) => c.toUpperCase());
}
