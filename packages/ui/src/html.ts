/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The one HTML page: no data in it but the CSRF token (escaped anyway) and the project's name.
 * Everything else is fetched as JSON and put in the DOM as text by the scripts.
 */
export function indexPage(options: { csrfToken: string; title: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${escapeHtml(options.csrfToken)}">
<title>${escapeHtml(options.title)}</title>
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<header class="top"><a class="brand" href="#/runs">Cascadence</a>
<nav><a href="#/runs" data-page="runs">Runs</a><a href="#/schedules" data-page="schedules">Schedules</a><a href="#/tasks" data-page="tasks">Tasks</a></nav>
<span id="live" class="live" title="live updates">connecting</span></header>
<main id="main"><p class="muted">Loading…</p></main>
<div id="toast" class="toast" role="status" aria-live="polite"></div>
</body>
</html>
`;
}
