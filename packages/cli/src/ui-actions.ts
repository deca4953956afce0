import {
  CascadenceError,
  isFlow,
  newRunId,
  sanitizeForTerminal,
  type ExecutionBackend,
  type Flow,
  type RunOptions,
  type Runnable,
} from '@cascadence/core';
import type { History } from '@cascadence/history';
import type { GraphShape, ScheduleInfo, TaskInfo, UiActions } from '@cascadence/ui';
import type { Project } from './project/project';
import { cancelOnTemporal } from './temporal-cancel';
import { readTaskState, updateTaskState } from './project/task-state';

/** How many upcoming fires the schedules page shows per entry. */
const NEXT_FIRES = 3;

export function graphOf(flow: Flow): GraphShape {
  const { ids, needs } = flow.graph;
  const edges: GraphShape['edges'] = [];
  ids.forEach((id, i) => {
    for (const need of needs[i] as readonly number[]) edges.push({ from: ids[need] as string, to: id });
  });
  return { nodes: ids.map((id) => ({ id })), edges };
}

/** The Temporal Web UI's page of one workflow run (its history tab). */
export function temporalWorkflowUrl(base: string, namespace: string, workflowId: string, runId: string | undefined): string {
  const root = base.replace(/\/+$/, '');
  const path = [namespace, 'workflows', workflowId, ...(runId === undefined ? [] : [runId, 'history'])].map(encodeURIComponent);
  return `${root}/namespaces/${path.join('/')}`;
}

/**
 * What `task ui` does for the dashboard, the way the CLI's own commands do it: enable/disable
 * (`.cascadence/tasks.json`), pause/resume (schedules.yml), run now and retry (`task retry`'s plan,
 * on the run's backend). Runs it starts are recorded into the dashboard's own history handle, so
 * they show up at once, and can be cancelled from the page.
 */
export class ProjectUiActions implements UiActions {
  private readonly running = new Map<string, AbortController>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly backends = new Map<string, Promise<ExecutionBackend>>();
  private readonly recorded = new Map<ExecutionBackend, () => void>();

  constructor(
    private readonly project: Project,
    private readonly history: History,
    private readonly warn: (line: string) => void,
    private readonly temporalUi?: string,
  ) {}

  temporalLink(run: { workflowId?: string | undefined; workflowRunId?: string | undefined }): string | undefined {
    if (this.temporalUi === undefined || run.workflowId === undefined) return undefined;
    return temporalWorkflowUrl(this.temporalUi, this.project.config.temporal?.namespace ?? 'default', run.workflowId, run.workflowRunId);
  }

  async tasks(): Promise<TaskInfo[]> {
    // Another process (`task disable`) may have changed the file since the project loaded.
    const disabled = new Set(readTaskState(this.project.taskStateFile).disabled);
    return this.project.registry.list().map((entry) => ({
      name: entry.name,
      kind: entry.kind,
      enabled: !disabled.has(entry.name),
      description: entry.description,
      graph: isFlow(entry.runnable) ? graphOf(entry.runnable) : undefined,
    }));
  }

  async flowGraph(name: string): Promise<GraphShape | undefined> {
    if (!this.project.registry.has(name)) return undefined;
    const runnable = this.project.registry.get(name);
    return isFlow(runnable) ? graphOf(runnable) : undefined;
  }

  async schedules(): Promise<ScheduleInfo[]> {
    const { inspectSchedules, parseCronExpression, readScheduleState } = await import('@cascadence/scheduler-cron');
    const { entries, problems } = inspectSchedules(this.project.schedulesPath);
    for (const problem of problems) this.warn(`warning: ${sanitizeForTerminal(problem.message)}`);
    let state: ReturnType<typeof readScheduleState> = new Map();
    try {
      state = readScheduleState(this.project.schedulesPath);
    } catch (error) {
      this.warn(`warning: ${sanitizeForTerminal((error as Error).message)}; last runs are not shown`);
    }
    const disabled = new Set(readTaskState(this.project.taskStateFile).disabled);
    return entries.map((entry) => {
      const timezone = entry.timezone ?? this.project.config.timezone ?? 'UTC';
      const lastRun = state.get(entry.task)?.lastRun;
      return {
        task: entry.task,
        cron: entry.cron,
        timezone,
        paused: entry.paused === true,
        nextFires: entry.paused
          ? []
          : parseCronExpression(entry.cron, timezone)
              .nextRuns(NEXT_FIRES)
              .map((d) => d.toISOString()),
        lastRun: lastRun === undefined || lastRun === null ? null : new Date(lastRun).toISOString(),
        known: this.project.registry.has(entry.task),
        enabled: !disabled.has(entry.task),
      };
    });
  }

  async setEnabled(task: string, enabled: boolean): Promise<void> {
    this.project.registry.get(task); // unknown names fail before the file is touched
    await updateTaskState(this.project.taskStateFile, (state) => ({
      disabled: enabled ? state.disabled.filter((n) => n !== task) : [...state.disabled, task],
    }));
    if (enabled) this.project.registry.enable(task);
    else this.project.registry.disable(task);
  }

  async setPaused(task: string, paused: boolean): Promise<void> {
    const { setSchedulePaused } = await import('@cascadence/scheduler-cron');
    await setSchedulePaused(this.project.schedulesPath, task, paused);
  }

  async runNow(task: string): Promise<{ runId: string }> {
    // The file is the truth for enabled state (a `task disable` elsewhere counts too).
    if (readTaskState(this.project.taskStateFile).disabled.includes(task)) this.project.registry.disable(task);
    const runnable = this.project.registry.getRunnable(task);
    return this.start(runnable, undefined, undefined, { trigger: { kind: 'api' } });
  }

  async retry(runId: string): Promise<{ runId: string }> {
    const { planRetry } = await import('@cascadence/history');
    const original = await this.history.run(runId);
    const runnable = this.project.registry.getRunnable(original.task);
    const plan = planRetry(original, await this.history.steps(original.id), runnable);
    return this.start(runnable, plan.input, original.backend, {
      trigger: { kind: 'retry', retryOf: original.id },
      ...(plan.reuse === undefined ? {} : { reuse: plan.reuse }),
    });
  }

  async cancel(runId: string): Promise<void> {
    const controller = this.running.get(runId);
    if (controller !== undefined) return controller.abort(new Error('cancelled from the dashboard'));
    const run = await this.history.run(runId);
    if (run.status === 'running' && run.backend === 'temporal' && run.workflowId !== undefined) {
      await cancelOnTemporal(this.project, run.workflowId, 'cancelled from the dashboard', 0);
      return;
    }
    // Run by another process: a request in the history, carried out by the process recording it.
    if (!this.canCancel(run)) {
      const why =
        run.status !== 'running'
          ? `it is ${run.status}`
          : `it runs on backend "${run.backend}", which takes no cancel requests (cancel it there)`;
      throw new CascadenceError('CASCADENCE_UI_CONFLICT', `run ${run.id} cannot be cancelled from here: ${why}`);
    }
    try {
      await this.history.requestCancel(run.id, 'cancelled from the dashboard');
    } catch (error) {
      if (CascadenceError.isInstance(error, 'CASCADENCE_HISTORY_NOT_RUNNING'))
        throw new CascadenceError('CASCADENCE_UI_CONFLICT', (error as Error).message);
      throw error;
    }
  }

  /** Runs this process started, and running local runs of other processes (through the history). */
  canCancel(run: { id: string; status: string; backend: string; workflowId?: string | undefined }): boolean {
    if (this.running.has(run.id)) return true;
    if (run.status !== 'running') return false;
    return run.backend === 'local' || (run.backend === 'temporal' && run.workflowId !== undefined);
  }

  /** Cancels what this process started, waits for it, stops recording and closes backends. */
  async close(): Promise<void> {
    for (const controller of this.running.values()) controller.abort(new Error('the dashboard is stopping'));
    await Promise.allSettled([...this.inFlight]);
    for (const [backend, detach] of this.recorded) {
      detach();
      await backend.close?.();
    }
  }

  private async backend(name: string | undefined): Promise<ExecutionBackend> {
    const key = name ?? '';
    let pending = this.backends.get(key);
    if (pending === undefined) {
      pending = this.project.backend(name);
      pending.catch(() => this.backends.delete(key));
      this.backends.set(key, pending);
    }
    const backend = await pending;
    // `local` and the default are often one object: record each backend once.
    if (!this.recorded.has(backend)) this.recorded.set(backend, this.history.record(backend));
    return backend;
  }

  /** Starts a run in the background; resolves once history has its first record, so the page can open it. */
  private async start(
    runnable: Runnable,
    input: unknown,
    backendName: string | undefined,
    options: Pick<RunOptions, 'trigger' | 'reuse'>,
  ): Promise<{ runId: string }> {
    const backend = await this.backend(backendName);
    this.project.engine.prepare(runnable);
    const runId = newRunId(); // time-ordered, like every run id (history writes and short ids rely on it)
    const controller = new AbortController();
    this.running.set(runId, controller);
    // The page opens the run as soon as this returns: wait for its start (the recorder, attached
    // first, has it then) and write it out.
    let started: () => void = () => {};
    const startedPromise = new Promise<void>((resolve) => (started = resolve));
    const off = backend.events?.on('run:start', (event) => {
      if (event.runId === runId) started();
    });
    const run = backend
      .run(runnable, input, { ...options, runId, signal: controller.signal })
      .then((result) => {
        this.warn(`${runnable.kind} "${sanitizeForTerminal(runnable.name)}" ${result.status} (run ${runId})`);
      })
      .catch((error: unknown) =>
        this.warn(
          `warning: run ${runId} of "${sanitizeForTerminal(runnable.name)}" could not run: ${sanitizeForTerminal((error as Error).message)}`,
        ),
      )
      .finally(() => {
        this.running.delete(runId);
        this.inFlight.delete(run);
      });
    this.inFlight.add(run);
    try {
      await Promise.race([startedPromise, run]);
    } finally {
      off?.();
    }
    await this.history.flush();
    return { runId };
  }
}
