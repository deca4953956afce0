import type { StepItemEvent } from '@cascadence/core';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { ITEM_SPAN_PREFIX, SPAN_ATTRIBUTES as A, SPAN_EVENTS } from './attributes';
import { stepAttributes } from './span-tracer';

/** Default `TracingOptions.maxItemSpans`: item spans per step attempt of a `map` step. */
export const DEFAULT_MAX_ITEM_SPANS = 1000;

interface OpenStep {
  /** Undefined while two attempts of the step are open at once. */
  span: Span | undefined;
  count: number;
  seen: ItemsSeen | undefined;
}

/** What one map step attempt's items have given so far. */
interface ItemsSeen {
  /** Items that have a span (or got one), up to the cap. */
  spans: number;
  /** Items that ended beyond the cap: counted on the step span, not spanned. */
  unspanned: number;
  items: number;
  /** Failed attempts of items still being retried, kept until the item ends (its span's events). */
  retries: Map<number, StepItemEvent[]> | undefined;
}

/**
 * Spans for the items of `map` steps, made from `step:item` events: one span per item, a child of
 * the step attempt that maps it, from the item's first start to its end, with an event (and the
 * exception) for each attempt that failed and was retried. One span per item rather than per item
 * attempt: the event carries the time since the item's first start, so an item's span is exact,
 * where a retry attempt's own start is not known. The item's code runs in the step attempt's
 * context (calls it makes are children of the step span).
 *
 * Where no attempt of the step is open in this process (a Temporal worker runs each item as an
 * activity, with no step attempt around it), each item attempt gets a span of its own under the
 * active context instead: the activity's span, given Temporal's OpenTelemetry interceptors.
 *
 * At most `max` items of one step attempt get spans (a 10,000-item map would otherwise send
 * 10,000 spans per run); later items only count (`cascadence.items.unspanned` on the step span),
 * and those that fail become `cascadence.item.failed` events on the step span.
 */
export class ItemSpans {
  /** Step attempts in progress, by run, flow and step: where an item's span goes. */
  private readonly open = new Map<string, OpenStep>();

  constructor(
    private readonly tracer: Tracer,
    private readonly backend: string,
    private readonly max: number,
  ) {}

  stepStarted(runId: string, flow: string | undefined, step: string, span: Span): void {
    const key = keyOf(runId, flow, step);
    const open = this.open.get(key);
    if (open === undefined) this.open.set(key, { span, count: 1, seen: undefined });
    else {
      // Two attempts of one step at once (a flow mapped over items runs its steps once per item):
      // which one an item belongs to is not known, so none gets item spans.
      open.count++;
      open.span = undefined;
    }
  }

  /** The step attempt ended: its span gets the item counts. */
  stepEnded(runId: string, flow: string | undefined, step: string, span: Span): void {
    const key = keyOf(runId, flow, step);
    const open = this.open.get(key);
    if (open === undefined) return;
    if (--open.count === 0) this.open.delete(key);
    const seen = open.seen;
    if (open.span !== span || seen === undefined) return;
    span.setAttribute(A.ITEMS, seen.items);
    if (seen.unspanned > 0) span.setAttribute(A.ITEMS_UNSPANNED, seen.unspanned);
  }

  item(event: StepItemEvent): void {
    const entry = this.open.get(keyOf(event.runId, event.flow, event.step));
    if (entry === undefined) {
      // No attempt of the step here: a Temporal worker runs each item as an activity of its own.
      // Its span goes under the active context (the activity's span, given Temporal's interceptors).
      this.itemSpan(context.active(), event, undefined);
      return;
    }
    if (entry.span === undefined) return;
    const step = entry.span;
    const seen = (entry.seen ??= { spans: 0, unspanned: 0, items: event.items, retries: undefined });
    if (event.status === 'retrying') {
      if (seen.spans < this.max) {
        const list = (seen.retries ??= new Map()).get(event.item);
        if (list === undefined) seen.retries.set(event.item, [event]);
        else list.push(event);
      }
      return;
    }
    if (seen.spans >= this.max) {
      seen.unspanned++;
      if (event.status === 'failed') {
        step.addEvent(
          SPAN_EVENTS.ITEM_FAILED,
          { [A.ITEM]: event.item, [A.ATTEMPT]: event.attempt, 'exception.message': event.error?.message ?? 'failed' },
          event.at,
        );
      }
      return;
    }
    seen.spans++;
    const retries = seen.retries?.get(event.item);
    if (retries !== undefined) seen.retries?.delete(event.item);
    this.itemSpan(trace.setSpan(ROOT_CONTEXT, step), event, retries);
  }

  /** An item's span under `parent`: from the (first) start the event gives to its end; `retries`: its earlier failed attempts. */
  private itemSpan(parent: Context, event: StepItemEvent, retries: StepItemEvent[] | undefined): void {
    const attributes = stepAttributes(event, this.backend);
    attributes[A.ITEM] = event.item;
    attributes[A.ITEMS] = event.items;
    attributes[A.STATUS] = event.status;
    const span = this.tracer.startSpan(
      `${ITEM_SPAN_PREFIX}${event.step}`,
      { kind: SpanKind.INTERNAL, startTime: event.at - event.durationMs, attributes },
      parent,
    );
    for (const retry of retries ?? []) {
      if (retry.error !== undefined) span.recordException(retry.error, retry.at);
      span.addEvent(SPAN_EVENTS.RETRY, { 'cascadence.retry.next_attempt': retry.attempt + 1 }, retry.at);
    }
    // `retrying` reaches here only for an attempt spanned on its own (a Temporal worker's item).
    if (event.status === 'failed' || event.status === 'retrying') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: event.error?.message ?? 'failed' });
      if (event.error !== undefined) span.recordException(event.error, event.at);
    }
    span.end(event.at);
  }
}

function keyOf(runId: string, flow: string | undefined, step: string): string {
  return `${runId}\0${flow ?? ''}\0${step}`;
}
