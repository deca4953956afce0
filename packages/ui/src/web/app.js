// The dashboard's entry point: hash routes (#/runs, #/run/<id>, #/schedules, #/tasks) and the
// live connection. Each page returns an optional function that stops its live updates.
import { connectLive } from './api.js';
import { el, fill } from './dom.js';
import { runsPage, schedulesPage, tasksPage } from './pages.js';
import { runPage } from './run-page.js';

const main = document.getElementById('main');
let stop;

async function route() {
  stop?.();
  stop = undefined;
  // Cleared until this page has rendered: tests (and anything watching) wait for the new value.
  delete document.body.dataset.ready;
  const hash = location.hash || '#/runs';
  const [path, search = ''] = hash.slice(1).split('?');
  const params = new URLSearchParams(search);
  const page = path.split('/')[1] || 'runs';
  for (const link of document.querySelectorAll('nav a'))
    link.classList.toggle('active', link.dataset.page === (page === 'run' ? 'runs' : page));
  const started = performance.now();
  try {
    if (page === 'run') stop = await runPage(main, decodeURIComponent(path.slice('/run/'.length)));
    else if (page === 'schedules') await schedulesPage(main, route);
    else if (page === 'tasks') await tasksPage(main, route);
    else stop = await runsPage(main, params);
    document.body.dataset.ready = page;
    document.body.dataset.renderMs = String(Math.round(performance.now() - started));
  } catch (error) {
    fill(main, el('h1', {}, 'Could not load this page'), el('p', { class: 'error' }, String(error?.message ?? error)));
    document.body.dataset.ready = 'error';
  }
}

connectLive((state) => {
  const live = document.getElementById('live');
  live.textContent = state;
  live.className = `live ${state}`;
});
window.addEventListener('hashchange', route);
void route();
