/**
 * `@cascadence/ui`: the `task ui` dashboard. `startUiServer` serves runs, live flow graphs,
 * schedules and tasks from a project's run history; project actions come in through `UiActions`.
 */
export { startUiServer, type UiServer, type UiServerOptions } from './server';
export type { GraphShape, ScheduleInfo, TaskInfo, UiActions } from './actions';
export { UiErrorCode, type UiErrorCodeValue } from './errors';
export { escapeHtml } from './html';
export { CONTENT_SECURITY_POLICY, CSRF_HEADER, isLoopback, secretsEqual } from './security';
export { COALESCE_MS } from './live';
