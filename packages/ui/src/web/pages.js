// The list pages: runs (filters, paging, live), schedules, tasks.
import { getJson, onRuns, post, seg } from './api.js';
import { el, fill, toast } from './dom.js';
import { badge, duration, short, shortId, when } from './format.js';
import { drawGraph } from './graph.js';

const STATUSES = ['', 'succeeded', 'failed', 'cancelled', 'running', 'interrupted'];
const TRIGGERS = ['', 'cli', 'schedule', 'api', 'retry'];
const SPANS = { '': 'any time', 3600000: 'last hour', 86400000: 'last day', 604800000: 'last 7 days' };

function select(name, options, value, labels = {}) {
  return el(
    'select',
    { name },
    options.map((o) => el('option', { value: o, selected: String(o) === value }, labels[o] ?? (o === '' ? `any ${name}` : o))),
  );
}

function matches(run, filters) {
  if (filters.task && run.task !== filters.task) return false;
  if (filters.status && run.status !== filters.status) return false;
  if (filters.trigger && run.trigger !== filters.trigger) return false;
  return true;
}

function runRow(run) {
  return el(
    'tr',
    { 'data-run': run.id },
    el('td', {}, badge(run.status)),
    el('td', { title: run.task }, el('a', { href: `#/run/${seg(run.id)}` }, short(run.task))),
    el('td', {}, run.trigger, run.retryOf ? ` (of ${shortId(run.retryOf)})` : ''),
    el('td', {}, when(run.startedAt)),
    el('td', { class: 'num' }, duration(run.durationMs)),
    el('td', { class: 'mono' }, el('a', { href: `#/run/${seg(run.id)}` }, shortId(run.id))),
  );
}

/** Runs, newest first; filters live in the address (#/runs?status=failed) so links keep them. */
export async function runsPage(main, params) {
  const filters = {
    task: params.get('task') ?? '',
    status: params.get('status') ?? '',
    trigger: params.get('trigger') ?? '',
    span: params.get('span') ?? '',
  };
  const before = params.get('before') ?? '';
  const beforeId = params.get('beforeId') ?? '';
  const form = el(
    'form',
    { class: 'filters' },
    el('input', { name: 'task', placeholder: 'task or flow', value: filters.task }),
    select('status', STATUSES, filters.status),
    select('trigger', TRIGGERS, filters.trigger),
    select('span', ['', '3600000', '86400000', '604800000'], filters.span, SPANS),
    el('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v !== '') next.set(k, String(v));
    location.hash = `#/runs?${next}`;
  });
  const query = new URLSearchParams();
  for (const k of ['task', 'status', 'trigger']) if (filters[k]) query.set(k, filters[k]);
  if (filters.span) query.set('since', String(Date.now() - Number(filters.span)));
  if (before) query.set('before', before);
  if (before && beforeId) query.set('beforeId', beforeId);
  const body = el('tbody');
  const table = el(
    'table',
    { class: 'runs' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ['Status', 'Task', 'Trigger', 'Started', 'Duration', 'Run'].map((h) => el('th', {}, h)),
      ),
    ),
    body,
  );
  const pager = el('div', { class: 'pager' });
  fill(main, el('h1', {}, 'Runs'), form, table, pager);
  const { runs, next } = await getJson(`/api/runs?${query}`);
  for (const run of runs) body.append(runRow(run));
  if (runs.length === 0) body.append(el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'No runs recorded yet that match.')));
  const link = (label, extra) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(extra)) {
      if (v === null) p.delete(k);
      else p.set(k, v);
    }
    return el('a', { href: `#/runs?${p}`, class: 'button' }, label);
  };
  if (before) pager.append(link('← Newest', { before: null, beforeId: null }));
  if (next !== null) pager.append(link('Older →', { before: String(next.before), beforeId: next.beforeId }));
  // Live: only the first page changes (older pages are history and stay put).
  if (before) return undefined;
  return onRuns((changed) => {
    for (const run of changed) {
      if (!matches(run, filters)) continue;
      const existing = body.querySelector(`tr[data-run="${CSS.escape(run.id)}"]`);
      if (existing) existing.replaceWith(runRow(run));
      else {
        body.querySelector('td[colspan]')?.parentElement?.remove();
        body.prepend(runRow(run));
      }
    }
  });
}

async function act(path, done) {
  try {
    const result = await post(path);
    done?.(result);
  } catch (error) {
    toast(error.message, 'error');
  }
}

export async function schedulesPage(main, rerender) {
  const { schedules } = await getJson('/api/schedules');
  const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const rows = schedules.map((s) => {
    const pause = el('button', { 'data-action': s.paused ? 'resume' : 'pause' }, s.paused ? 'Resume' : 'Pause');
    pause.addEventListener('click', () => act(`/api/schedules/${seg(s.task)}/${s.paused ? 'resume' : 'pause'}`, () => rerender()));
    const runNow = el('button', { 'data-action': 'run' }, 'Run now');
    runNow.addEventListener('click', () => act(`/api/schedules/${seg(s.task)}/run`, (r) => (location.hash = `#/run/${seg(r.runId)}`)));
    const fires =
      s.nextFires.length === 0
        ? [el('span', { class: 'muted' }, s.paused ? 'paused' : 'never')]
        : s.nextFires.map((f) => el('div', {}, when(f, s.timezone), el('span', { class: 'muted' }, ` · yours: ${when(f, viewerZone)}`)));
    const last = s.lastRecorded
      ? el(
          'span',
          {},
          badge(s.lastRecorded.status),
          ' ',
          el('a', { href: `#/run/${seg(s.lastRecorded.id)}` }, when(s.lastRecorded.startedAt, s.timezone)),
        )
      : el('span', { class: 'muted' }, s.lastRun ? when(s.lastRun, s.timezone) : 'never');
    const notes = [s.paused ? 'paused' : 'active', s.known ? '' : 'unknown task', s.enabled ? '' : 'disabled'].filter(Boolean).join(', ');
    return el(
      'tr',
      { 'data-schedule': s.task },
      el('td', { title: s.task }, short(s.task)),
      el('td', { class: 'mono' }, short(s.cron, 40)),
      el('td', {}, short(s.timezone, 40)),
      el('td', {}, fires),
      el('td', {}, last),
      el('td', { class: 'state' }, notes),
      el('td', { class: 'actions' }, pause, runNow),
    );
  });
  const table = el(
    'table',
    { class: 'schedules' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ['Task', 'Cron', 'Zone', 'Next fires', 'Last run', 'State', ''].map((h) => el('th', {}, h)),
      ),
    ),
    el('tbody', {}, rows),
  );
  fill(
    main,
    el('h1', {}, 'Schedules'),
    schedules.length === 0
      ? el('p', { class: 'muted' }, 'No schedules in schedules.yml. Add one with: task schedule <name> "<cron>"')
      : table,
  );
}

function pct(rate) {
  return rate === null ? '–' : `${Number((rate * 100).toFixed(1))}%`;
}

export async function tasksPage(main, rerender) {
  const { tasks } = await getJson('/api/tasks');
  const rows = tasks.map((t) => {
    const toggle = el('button', { 'data-action': t.enabled ? 'disable' : 'enable' }, t.enabled ? 'Disable' : 'Enable');
    toggle.addEventListener('click', () => act(`/api/tasks/${seg(t.name)}/${t.enabled ? 'disable' : 'enable'}`, () => rerender()));
    const runNow = el('button', { 'data-action': 'run', disabled: !t.enabled }, 'Run now');
    runNow.addEventListener('click', () => act(`/api/tasks/${seg(t.name)}/run`, (r) => (location.hash = `#/run/${seg(r.runId)}`)));
    const name = el(
      'td',
      { title: t.name },
      el('a', { href: `#/runs?task=${seg(t.name)}` }, short(t.name)),
      t.description ? el('div', { class: 'muted' }, short(t.description, 120)) : null,
    );
    if (t.graph) {
      const details = el('details', {}, el('summary', {}, `graph (${t.graph.nodes.length} steps)`));
      // Drawn on first open: a project with many big flows does not lay them all out up front.
      details.addEventListener(
        'toggle',
        () =>
          details.open &&
          details.childElementCount === 1 &&
          details.append(el('div', { class: 'graph-box' }, drawGraph(t.graph, null).element)),
        { once: false },
      );
      name.append(details);
    }
    const s = t.stats;
    return el(
      'tr',
      { 'data-task': t.name },
      name,
      el('td', {}, t.kind),
      el('td', { class: 'state' }, t.enabled ? 'enabled' : 'disabled'),
      el('td', { class: 'num' }, s ? String(s.runs) : '0'),
      el('td', { class: 'num' }, pct(s?.successRate ?? null)),
      el('td', { class: 'num' }, duration(s?.p50Ms)),
      el('td', { class: 'num' }, duration(s?.p95Ms)),
      el('td', { class: 'actions' }, toggle, runNow),
    );
  });
  const head = ['Task or flow', 'Kind', 'State', 'Runs (24 h)', 'Success', 'p50', 'p95', ''];
  fill(
    main,
    el('h1', {}, 'Tasks and flows'),
    el(
      'table',
      { class: 'tasks' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          head.map((h) => el('th', {}, h)),
        ),
      ),
      el('tbody', {}, rows),
    ),
  );
}
