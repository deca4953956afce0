import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Process-group handling. Every command is spawned with `detached: true`, which on POSIX makes
 * the child the leader of a new process group (and session) whose id is its pid; everything it
 * starts stays in that group unless it deliberately leaves (setsid, daemons). Killing the group
 * (`kill(-pgid)`) therefore reaches the whole tree, not just the direct child.
 */

const isWindows = process.platform === 'win32';
const POLL_MS = 20;

/**
 * Sends `signal` (0: only check) to every process in the group; false when the group no longer
 * exists. EPERM (a member changed its user id) counts as existing; it is never thrown.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Pids of the processes in group `pgid` that are still running. On Linux this reads /proc so
 * zombies (dead, waiting to be reaped by init) do not count; elsewhere it falls back to
 * `kill(-pgid, 0)`, which reports the group as a whole (the leader's pid stands for it).
 */
export function liveGroupMembers(pgid: number): number[] {
  // No process at all in the group: nothing to scan for.
  if (!signalGroup(pgid, 0)) return [];
  if (process.platform === 'linux') {
    const members: number[] = [];
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return [pgid];
    }
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readStat(Number(entry));
      if (stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(Number(entry));
    }
    return members;
  }
  return [pgid];
}

/** Whether `pid` is a running process (not gone, not a zombie). */
export function isRunning(pid: number): boolean {
  if (process.platform === 'linux') {
    const stat = readStat(pid);
    return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readStat(pid: number): { state: string; pgrp: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Format: pid (comm) state ppid pgrp ...; comm may contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Terminates the whole process tree rooted at `pid`: SIGTERM to its group, then SIGKILL to
 * whatever is still running after `graceMs`. Resolves once nothing in the group runs any more
 * (or, if even SIGKILL did not help within a second, gives up quietly). Returns how many
 * processes were running when it started.
 */
export async function killProcessTree(pid: number, graceMs: number): Promise<number> {
  if (isWindows) {
    await new Promise<void>((resolve) => {
      const killer = spawn('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
      killer.on('error', () => resolve());
      killer.on('exit', () => resolve());
    });
    return 1;
  }
  const running = liveGroupMembers(pid).length;
  if (liveGroups.has(pid)) liveGroups.set(pid, 'stopping');
  if (running === 0 || !signalGroup(pid, 'SIGTERM')) return running;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
    if (liveGroupMembers(pid).length === 0) return running;
  }
  signalGroup(pid, 'SIGKILL');
  for (let waited = 0; waited < 1000; waited += POLL_MS) {
    if (liveGroupMembers(pid).length === 0) break;
    await sleep(POLL_MS);
  }
  return running;
}

/**
 * Groups started by this module and not yet finished, and whether we already asked them to stop.
 * If the process exits first (the CLI exits once the result is printed, or on a second Ctrl-C),
 * none of them may outlive it.
 */
const liveGroups = new Map<number, 'running' | 'stopping'>();
let exitHookInstalled = false;

export function trackGroup(pid: number): void {
  liveGroups.set(pid, 'running');
  if (!exitHookInstalled && !isWindows) {
    exitHookInstalled = true;
    // 'exit' handlers must be synchronous, so there is no grace period here: a group already sent
    // SIGTERM (a timeout, a cancellation) has had its chance and gets SIGKILL, so a command that
    // ignores SIGTERM cannot keep running after us; the others get SIGTERM.
    process.once('exit', () => {
      for (const [group, state] of liveGroups) signalGroup(group, state === 'stopping' ? 'SIGKILL' : 'SIGTERM');
    });
  }
}

export function untrackGroup(pid: number): void {
  liveGroups.delete(pid);
}
