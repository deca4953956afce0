import type { Clock } from './clock';
import { MinHeap } from './heap';

/** What the queue needs of a job: its due time and its place in a bucket. */
export interface QueuedJob {
  /** Next due time (NaN: none). */
  slot: number;
  /** Time of the bucket holding this job; NaN when not queued. */
  bucketTs: number;
  removed: boolean;
  readonly jitterMs: number;
}

/** What the queue calls back into. */
export interface FireQueueContext<J extends QueuedJob> {
  readonly clock: Clock;
  /** Longest single timer; longer waits are chained and re-check the wall clock. */
  readonly maxSleepMs: number;
  /** At every wake-up, before due jobs are handed out. */
  onWake(): void;
  /** One due job (already taken out of the queue); it is re-queued by calling `enqueue` again. */
  onDue(job: J, now: number): void;
  /** The due jobs of a wake-up have all been handed out (after its last slice). */
  onDispatched?(): void;
  /**
   * Longest stretch of due jobs handed out in one go (default 10 ms, by `clock.now()`): the rest
   * wait for the next turn of the event loop, so many jobs due at one instant (10,000
   * every-second schedules) do not hold the loop, and runs' completions, I/O and other timers
   * get in between slices.
   */
  readonly sliceMs?: number;
  /**
   * Runs `callback` on the next turn of the event loop, after pending I/O (default: the clock's
   * 0 ms timer; the scheduler passes setImmediate with the system clock, which does not wait
   * for the timer phase).
   */
  readonly nextTurn?: (callback: () => void) => unknown;
}

/**
 * The timer side of the scheduler: jobs due at the same instant share one bucket, a heap orders
 * the bucket times, and one timer waits for the earliest. A job is in at most one bucket; moving
 * it only changes its `bucketTs`, and stale entries are skipped when their bucket comes due.
 */
export class FireQueue<J extends QueuedJob> {
  private readonly buckets = new Map<number, J[]>();
  private readonly heap = new MinHeap();
  private armed = false;
  private timer: unknown;
  private timerTarget = Number.NaN;
  /** Inside `batch` or a wake-up: enqueueing does not re-arm the timer until the end. */
  private batching = false;
  // Due jobs not handed out yet (a slice ran out of time), with the bucket each came from: an
  // entry whose job moved since (its bucketTs changed) is stale and skipped, as in a bucket.
  private dueJobs: J[] = [];
  private dueFrom: number[] = [];
  private dueAt = 0;
  private resumeTimer: unknown;
  private readonly sliceMs: number;

  constructor(private readonly context: FireQueueContext<J>) {
    this.sliceMs = context.sliceMs ?? 10;
  }

  /** Due jobs waiting for the next slice. */
  get backlog(): number {
    return this.dueJobs.length - this.dueAt;
  }

  /** Lets the timer run. Call `rearm` (or end a `batch`) afterwards to arm it. */
  start(): void {
    this.armed = true;
  }

  /** Clears the timer and empties the queue; the jobs' `bucketTs` is the caller's to reset. */
  stop(): void {
    this.armed = false;
    this.clearTimer();
    this.heap.clear();
    this.buckets.clear();
    this.dueJobs = [];
    this.dueFrom = [];
    this.dueAt = 0;
    // A pending immediate finds the queue stopped (or its backlog empty) and does nothing.
    if (this.resumeTimer !== undefined && this.context.nextTurn === undefined) this.context.clock.clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
  }

  /** Runs `fn` with timer re-arming deferred to its end (many enqueues, one timer). */
  batch(fn: () => void): void {
    const outer = this.batching;
    this.batching = true;
    try {
      fn();
    } finally {
      this.batching = outer;
    }
    if (!outer) this.rearm();
  }

  /** Queues the job at its slot (plus its jitter); a job with no slot, or removed, is unqueued. */
  enqueue(job: J): void {
    if (Number.isNaN(job.slot) || job.removed) {
      job.bucketTs = Number.NaN;
      return;
    }
    const at = job.jitterMs > 0 ? job.slot + Math.floor(Math.random() * (job.jitterMs + 1)) : job.slot;
    if (job.bucketTs === at) return;
    job.bucketTs = at;
    let bucket = this.buckets.get(at);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(at, bucket);
      this.heap.push(at);
    }
    bucket.push(job);
    if (!this.batching) this.rearm();
  }

  /** Points the one timer at the earliest bucket (capped at maxSleepMs). */
  rearm(): void {
    if (!this.armed || this.batching) return;
    const head = this.heap.peek();
    if (head === undefined) {
      this.clearTimer();
      return;
    }
    if (this.timer !== undefined && this.timerTarget === head) return;
    this.clearTimer();
    const delay = Math.min(Math.max(0, head - this.context.clock.now()), this.context.maxSleepMs);
    this.timerTarget = head;
    this.timer = this.context.clock.setTimeout(this.onTimer, delay);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.context.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerTarget = Number.NaN;
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerTarget = Number.NaN;
    if (!this.armed) return;
    this.context.onWake();
    const now = this.context.clock.now();
    this.batch(() => {
      // Due buckets move to the backlog in time order; jobs stay marked with their bucket until
      // handed out, so an edit or removal meanwhile still makes their entry stale.
      let head = this.heap.peek();
      while (head !== undefined && head <= now) {
        this.heap.pop();
        const bucket = this.buckets.get(head);
        this.buckets.delete(head);
        if (bucket !== undefined) {
          for (let i = 0; i < bucket.length; i++) {
            this.dueJobs.push(bucket[i] as J);
            this.dueFrom.push(head);
          }
        }
        head = this.heap.peek();
      }
      if (this.resumeTimer === undefined) this.drain();
    });
  };

  private readonly onResume = (): void => {
    this.resumeTimer = undefined;
    if (this.armed) this.batch(() => this.drain());
  };

  /** Hands out backlog jobs for up to `sliceMs`; what is left goes on at the next turn. */
  private drain(): void {
    const clock = this.context.clock;
    const jobs = this.dueJobs;
    const from = this.dueFrom;
    let now = clock.now();
    const until = now + this.sliceMs;
    let i = this.dueAt;
    while (i < jobs.length) {
      const job = jobs[i] as J;
      const head = from[i] as number;
      i++;
      if (job.bucketTs !== head || job.removed) continue;
      job.bucketTs = Number.NaN;
      this.context.onDue(job, now);
      now = clock.now();
      if (now >= until || !this.armed) break;
    }
    if (i < jobs.length && this.armed) {
      this.dueAt = i;
      this.resumeTimer = this.context.nextTurn !== undefined ? this.context.nextTurn(this.onResume) : clock.setTimeout(this.onResume, 0);
      return;
    }
    this.dueJobs = [];
    this.dueFrom = [];
    this.dueAt = 0;
    if (this.armed) this.context.onDispatched?.();
  }
}
