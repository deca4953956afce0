/**
 * What the dashboard asks of the project it shows. The ui package knows run history; everything
 * that needs the project (its tasks, flows, schedules, backends) comes through this interface,
 * which `task ui` implements — so this package never depends on the CLI.
 */
export interface UiActions {
  /** Every task and flow, with its enabled state and, for flows, the static graph. */
  tasks(): Promise<TaskInfo[]>;
  /** The graph of a flow by name (undefined: not a flow, or unknown). */
  flowGraph(name: string): Promise<GraphShape | undefined>;
  /** Every schedule with its next fires. */
  schedules(): Promise<ScheduleInfo[]>;
  setEnabled(task: string, enabled: boolean): Promise<void>;
  setPaused(task: string, paused: boolean): Promise<void>;
  /** Starts a run now (in the background); resolves with its id once it has started. */
  runNow(task: string): Promise<{ runId: string }>;
  /** Retries a recorded run from where it failed (`task retry`); resolves with the new run's id. */
  retry(runId: string): Promise<{ runId: string }>;
  /**
   * Cancels a running run: one this process started at once, one another process runs (local
   * backend, recording into the same history) through a cancel request it carries out within a
   * moment. Refuses what it cannot stop with an error saying why.
   */
  cancel(runId: string): Promise<void>;
  /** Whether `cancel` can stop this run. */
  canCancel(run: { id: string; status: string; backend: string; workflowId?: string | undefined }): boolean;
  /** Link to the Temporal UI for a run, when its address is configured. */
  temporalLink?(run: { workflowId?: string | undefined; workflowRunId?: string | undefined }): string | undefined;
}

export interface GraphShape {
  nodes: Array<{ id: string }>;
  /** `from` must finish before `to` (`to` needs `from`). */
  edges: Array<{ from: string; to: string }>;
}

export interface TaskInfo {
  name: string;
  kind: 'task' | 'flow';
  enabled: boolean;
  description?: string | undefined;
  graph?: GraphShape | undefined;
}

export interface ScheduleInfo {
  task: string;
  cron: string;
  /** IANA zone the expression is read in. */
  timezone: string;
  paused: boolean;
  /** Next fire instants, ISO-8601 UTC (empty when paused or never). */
  nextFires: string[];
  /** Last fire the scheduler recorded, ISO-8601 UTC. */
  lastRun: string | null;
  /** Whether the project has a task of that name. */
  known: boolean;
  enabled: boolean;
}
