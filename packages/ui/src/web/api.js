// Talking to the dashboard's server: JSON GETs, CSRF-carrying POSTs, the live event stream.

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute('content') : '';
}

async function parse(response) {
  let body;
  try {
    body = await response.json();
  } catch {
    throw new Error(`the server answered ${response.status} without JSON`);
  }
  if (!response.ok) throw new Error(body?.error?.message ?? `the server answered ${response.status}`);
  return body;
}

export async function getJson(path) {
  return parse(await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } }));
}

/** Mutating actions: POST, JSON, with the page's CSRF token. */
export async function post(path) {
  return parse(
    await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-cascadence-csrf': csrfToken(), accept: 'application/json' },
      body: '{}',
    }),
  );
}

/** Path segment for a name that may contain anything. */
export function seg(name) {
  return encodeURIComponent(String(name));
}

const listeners = new Set();
let source;

/** Calls `listener(runs)` with each batch of changed runs; returns a function that stops. */
export function onRuns(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Opens the event stream once; `status` is told 'live' or 'reconnecting'. */
export function connectLive(status) {
  if (source) return;
  source = new EventSource('/api/events');
  source.addEventListener('open', () => status('live'));
  source.addEventListener('error', () => status('reconnecting'));
  source.addEventListener('runs', (event) => {
    let runs;
    try {
      runs = JSON.parse(event.data);
    } catch {
      return;
    }
    for (const listener of listeners) listener(runs);
  });
}
