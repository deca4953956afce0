/**
 * historyFromProtoJson reads the JSON the Temporal CLI exports into the same History message as
 * the SDK's own reader (used here only as the reference: in a pnpm workspace its protobufjs
 * copies agree; in an npm install they do not — scripts/pack-smoke.mjs covers that layout).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { temporal } from '@temporalio/proto';
import { HistoryJsonError, eventTypeName, historyFromProtoJson } from '../src/history-json';

const dir = path.join(__dirname, 'fixtures', 'histories');
const History = temporal.api.history.v1.History;
const plain = (message: unknown) =>
  History.toObject(message as temporal.api.history.v1.History, { longs: String, enums: String, bytes: String, defaults: false });

describe('historyFromProtoJson', () => {
  it.each(readdirSync(dir).filter((f) => f.endsWith('.json')))('reads %s exactly as the SDK reader does', (file) => {
    const json = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    const ours = plain(historyFromProtoJson(json));
    expect(ours).toEqual(plain(historyFromJSON(json)));
    // Timestamps and durations really were converted (not dropped).
    expect((ours.events?.[0] as { eventTime?: { seconds?: string } }).eventTime?.seconds).toMatch(/^\d{10}$/);
  });

  it('accepts the short enum names of older exports and snake_case keys, ignores unknown fields', () => {
    const history = historyFromProtoJson({
      events: [
        {
          event_id: '1',
          eventTime: '2026-01-02T03:04:05.5+01:00',
          eventType: 'WorkflowExecutionStarted',
          somethingNew: { x: 1 },
          workflowExecutionStartedEventAttributes: {
            workflowType: { name: 'w' },
            workflowTaskTimeout: '10.25s',
            taskQueue: { name: 'q', kind: 'Normal' },
          },
        },
      ],
    });
    const event = plain(history).events?.[0] as Record<string, any>;
    expect(event.eventId).toBe('1');
    expect(event.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    expect(event.eventTime).toEqual({ seconds: String(Date.parse('2026-01-02T02:04:05Z') / 1000), nanos: 500_000_000 });
    expect(event.workflowExecutionStartedEventAttributes.workflowTaskTimeout).toEqual({ seconds: '10', nanos: 250_000_000 });
    expect(event.workflowExecutionStartedEventAttributes.taskQueue.kind).toBe('TASK_QUEUE_KIND_NORMAL');
    expect(event.somethingNew).toBeUndefined();
  });

  it('names the path of a value that is not proto3 JSON', () => {
    expect(() => historyFromProtoJson({ events: [{ eventId: '1', eventTime: 'yesterday' }] })).toThrow(HistoryJsonError);
    expect(() => historyFromProtoJson({ events: [{ eventId: '1', eventTime: 'yesterday' }] })).toThrow(
      'history.events[0].eventTime: expected an RFC 3339 timestamp, got "yesterday"',
    );
    expect(() => historyFromProtoJson({ nope: [] })).toThrow('expected an object with an "events" list');
  });

  // Regression: replay reports named event 28 "MarkerRecorded" (a hand-written table); it is 25.
  it('names event types from the proto enum', () => {
    expect(eventTypeName(25)).toBe('MarkerRecorded');
    expect(eventTypeName(28)).toBe('WorkflowExecutionContinuedAsNew');
    expect(eventTypeName(10)).toBe('ActivityTaskScheduled');
    expect(eventTypeName(0)).toBeUndefined();
    expect(eventTypeName(9999)).toBeUndefined();
  });
});
