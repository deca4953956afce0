// One run: its graph (live), timeline of attempts, steps with errors and outputs, retry/cancel.
import { getJson, onRuns, post, seg } from './api.js';
import { el, externalLink, fill, toast } from './dom.js';
import { badge, duration, short, shortId, statusClass, when } from './format.js';
import { drawGraph } from './graph.js';

/** Values over this many characters start collapsed. */
const COLLAPSE_AT = 2000;

function valueBlock(label, value) {
  if (!value || value.state === 'none') return null;
  if (value.state === 'omitted') return el('p', { class: 'muted' }, `${label}: not recorded (values: false)`);
  if (value.state === 'unserializable') return el('p', { class: 'muted' }, `${label}: not JSON (${value.reason ?? 'unknown reason'})`);
  let text = value.json ?? '';
  try {
    if (value.state === 'ok') text = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // shown as recorded
  }
  const note = value.state === 'truncated' ? ` (truncated, ${value.bytes ?? '?'} bytes in all)` : '';
  const pre = el('pre', { class: 'value' }, text.length > COLLAPSE_AT ? text.slice(0, COLLAPSE_AT) : text);
  const block = el('div', { class: 'value-block' }, el('div', { class: 'label' }, `${label}${note}`), pre);
  if (text.length > COLLAPSE_AT) {
    const more = el('button', { class: 'link' }, `show all ${text.length.toLocaleString()} characters`);
    more.addEventListener('click', () => {
      pre.textContent = text;
      more.remove();
    });
    block.append(more);
  }
  return block;
}

function errorBlock(error) {
  if (!error) return null;
  return el(
    'div',
    { class: 'error' },
    el('strong', {}, `${error.name}${error.code ? ` (${error.code})` : ''}: `),
    el('span', { class: 'error-message' }, error.message),
    error.stack ? el('details', {}, el('summary', {}, 'stack'), el('pre', {}, error.stack)) : null,
  );
}

/** A map step's items: counts over all, then the items history kept one by one (at most 100). */
function itemList(items) {
  const counts = Object.entries(items.counts)
    .map(([status, n]) => `${n} ${status}`)
    .join(', ');
  const kept = items.list.length < items.total ? ` · ${items.list.length} kept one by one, those that did not succeed first` : '';
  return el(
    'details',
    { class: 'items', open: items.list.some((i) => i.status === 'failed') },
    el('summary', {}, `${items.total} item${items.total === 1 ? '' : 's'}: ${counts}${kept}`),
    el(
      'ul',
      { class: 'item-list' },
      items.list.map((i) =>
        el(
          'li',
          { 'data-item': i.index },
          badge(i.status),
          ` #${i.index}${i.attempts > 1 ? ` · ${i.attempts} attempts` : ''}${i.skipMessage || i.error ? ': ' : ' '}`,
          i.skipMessage ? el('span', { class: 'muted' }, short(i.skipMessage, 200)) : null,
          i.error ? el('span', { class: 'error-message' }, short(i.error.message, 200)) : null,
          i.output && i.output.state === 'ok' ? el('code', {}, short(i.output.json ?? '', 200)) : null,
        ),
      ),
    ),
  );
}

function stepList(steps, attempts, run) {
  const byStep = new Map();
  for (const a of attempts) {
    const key = a.flow === undefined || a.flow === run.task ? a.step : `${a.flow}`;
    (byStep.get(key) ?? byStep.set(key, []).get(key)).push(a);
  }
  return el(
    'div',
    { class: 'steps' },
    steps.map((s) => {
      const tries = byStep.get(s.step) ?? [];
      const nested = attempts.filter((a) => a.flow !== undefined && a.flow !== run.task && a.flow === s.step);
      return el(
        'details',
        { class: 'step', 'data-step': s.step, open: s.status === 'failed' },
        el(
          'summary',
          {},
          badge(s.status),
          ' ',
          el('span', { class: 'step-name', title: s.step }, short(s.step)),
          el(
            'span',
            { class: 'muted' },
            ` · ${s.attempts} attempt${s.attempts === 1 ? '' : 's'} · ${duration(s.durationMs)}${s.reused ? ' · reused from the original run' : ''}${s.skipReason ? ` · ${s.skipReason}` : ''}`,
          ),
          s.skipMessage ? el('span', { class: 'skip-message', title: s.skipMessage }, ` · ${short(s.skipMessage, 200)}`) : null,
        ),
        errorBlock(s.error),
        s.items ? itemList(s.items) : null,
        tries.length > 1
          ? el(
              'ol',
              { class: 'attempts' },
              tries.map((a) =>
                el(
                  'li',
                  {},
                  badge(a.status),
                  ` ${duration(a.durationMs)} `,
                  a.error ? el('span', { class: 'muted' }, short(a.error.message, 200)) : null,
                ),
              ),
            )
          : null,
        nested.length > 0
          ? el(
              'details',
              { class: 'nested' },
              el('summary', {}, `nested flow: ${nested.length} step attempts`),
              el(
                'ul',
                {},
                nested.map((a) => el('li', {}, badge(a.status), ` ${short(a.step)} #${a.attempt} ${duration(a.durationMs)}`)),
              ),
            )
          : null,
        valueBlock('output', s.output),
      );
    }),
  );
}

/** A Gantt-like chart: one row per step (nested flows' steps under their flow), a bar per attempt. */
function timeline(attempts, run) {
  if (attempts.length === 0) return el('p', { class: 'muted' }, 'No attempts recorded.');
  const start = Math.min(run.startedAt, ...attempts.map((a) => a.startedAt));
  const end = Math.max(run.endedAt ?? Date.now(), ...attempts.map((a) => a.startedAt + (a.durationMs ?? 0)));
  const span = Math.max(1, end - start);
  const rows = new Map();
  for (const a of attempts) {
    const key = a.flow === undefined || a.flow === run.task ? a.step : `${a.flow} › ${a.step}`;
    (rows.get(key) ?? rows.set(key, []).get(key)).push(a);
  }
  return el(
    'div',
    { class: 'timeline' },
    [...rows].map(([key, list]) => {
      const track = el('div', { class: 'track' });
      for (const a of list) {
        const bar = el('div', {
          class: `bar s-${statusClass(a.status)}`,
          title: `${a.step} attempt ${a.attempt}: ${a.status}, ${duration(a.durationMs ?? (a.status === 'running' ? Date.now() - a.startedAt : undefined))}`,
        });
        // Positions through the CSSOM: allowed by the CSP, unlike style attributes in markup.
        bar.style.left = `${((a.startedAt - start) / span) * 100}%`;
        bar.style.width = `${Math.max(0.5, (((a.durationMs ?? end - a.startedAt) || 0) / span) * 100)}%`;
        track.append(bar);
      }
      return el('div', { class: 'tl-row' }, el('div', { class: 'tl-label', title: key }, short(key, 28)), track);
    }),
    el('div', { class: 'tl-axis muted' }, el('span', {}, '0'), el('span', {}, duration(span))),
  );
}

export async function runPage(main, id) {
  let graph;
  let loading = false;
  let again = false;
  const header = el('div');
  const graphBox = el('div', { class: 'graph-box' });
  const timeBox = el('div');
  const stepsBox = el('div');
  fill(main, header, graphBox, el('h2', {}, 'Timeline'), timeBox, el('h2', {}, 'Steps'), stepsBox);

  const render = (data) => {
    const { run, steps, attempts } = data;
    const buttons = [];
    if (run.status !== 'running') {
      const retry = el('button', { 'data-action': 'retry' }, 'Retry');
      retry.addEventListener('click', async () => {
        retry.disabled = true;
        try {
          const { runId } = await post(`/api/runs/${seg(run.id)}/retry`);
          location.hash = `#/run/${seg(runId)}`;
        } catch (error) {
          toast(error.message, 'error');
          retry.disabled = false;
        }
      });
      buttons.push(retry);
    }
    if (data.canCancel) {
      const cancel = el('button', { 'data-action': 'cancel', class: 'danger' }, 'Cancel');
      cancel.addEventListener('click', () => post(`/api/runs/${seg(run.id)}/cancel`).catch((error) => toast(error.message, 'error')));
      buttons.push(cancel);
    }
    fill(
      header,
      el('h1', {}, badge(run.status), ' ', el('span', { class: 'run-task', title: run.task }, short(run.task, 80))),
      el(
        'p',
        { class: 'meta' },
        `run ${run.id} · ${run.kind} · ${run.backend} · trigger ${run.trigger}`,
        run.retryOf ? [' · retry of ', el('a', { href: `#/run/${seg(run.retryOf)}` }, shortId(run.retryOf))] : null,
        ` · started ${when(run.startedAt)} · ${duration(run.durationMs)}`,
      ),
      data.temporalUrl ? el('p', {}, externalLink(data.temporalUrl, 'Open in the Temporal UI')) : null,
      errorBlock(run.error),
      valueBlock('input', run.input),
      el('div', { class: 'actions' }, buttons),
    );
    if (data.graph) {
      const statuses = new Map(steps.map((s) => [s.step, s.status]));
      // A running step has a 'running' attempt but its step record may still say pending.
      for (const a of attempts)
        if (a.status === 'running' && (a.flow === undefined || a.flow === run.task)) statuses.set(a.step, 'running');
      if (!graph) {
        graph = drawGraph(data.graph, statuses);
        graphBox.append(graph.element);
      } else graph.update(statuses);
    }
    fill(timeBox, timeline(attempts, run));
    fill(stepsBox, steps.length > 0 ? stepList(steps, attempts, run) : el('p', { class: 'muted' }, 'No steps recorded.'));
  };

  // Reloads are coalesced: while one is in flight, further changes ask for exactly one more.
  const reload = async () => {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      render(await getJson(`/api/runs/${seg(id)}`));
    } catch (error) {
      toast(error.message, 'error');
    } finally {
      loading = false;
      if (again) {
        again = false;
        void reload();
      }
    }
  };
  render(await getJson(`/api/runs/${seg(id)}`));
  return onRuns((runs) => {
    if (runs.some((r) => r.id === id || r.id.startsWith(id))) void reload();
  });
}
