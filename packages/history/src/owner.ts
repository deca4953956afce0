import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { RecordedRunStatus } from './records';
import type { RunOwner } from './store';

/** How often a recording process refreshes its heartbeat, and when readers stop believing it. */
export const HEARTBEAT_MS = 10_000;
export const STALE_AFTER_MS = 3 * HEARTBEAT_MS;

/** The recording process: runs point at it so readers can tell whether it is still alive. */
export interface ProcessIdentity {
  id: string;
  host: string;
  pid: number;
  startedAt: number;
}

export function thisProcess(): ProcessIdentity {
  return { id: randomUUID(), host: hostname(), pid: process.pid, startedAt: Math.round(Date.now() - process.uptime() * 1000) };
}

/**
 * A stored `running` seen from a reader: still `running` while its owner heartbeats and (on this
 * host) its pid exists; `interrupted` once the owner is gone. A reused pid is caught by the
 * heartbeat going stale.
 */
export function effectiveStatus(
  status: Exclude<RecordedRunStatus, 'interrupted'>,
  owner: RunOwner | undefined,
  now: number,
  host: string,
): RecordedRunStatus {
  if (status !== 'running') return status;
  if (owner === undefined) return 'interrupted';
  if (now - owner.heartbeatAt > STALE_AFTER_MS) return 'interrupted';
  if (owner.host === host && !pidAlive(owner.pid)) return 'interrupted';
  return 'running';
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
