/**
 * Child processes measured from outside (bench/scale.ts): wall time, peak RSS, and caps on both
 * that stop a child which would not fit the machine, saying which cap stopped it.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './shared.js';

/** This process's environment with `extra` over it, for a child. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

/** A field of /proc/<pid>/status in bytes (VmRSS now, VmHWM the peak so far); 0 once gone. */
export function procBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface MeasuredRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Peak RSS in bytes: the child's own maxRSS when it is Node run with nodeArgs, else VmHWM sampled. */
  peakRss: number;
  /** Why the run was stopped ("memory cap …", "time cap …"), or null when it ended by itself. */
  stopped: string | null;
}

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  maxRssBytes?: number;
  maxMs?: number;
  /** Each line the child writes to stderr (progress), as it comes. */
  onStderr?: (line: string) => void;
}

/** Node flags that make a child report its exact peak RSS on fd 3 (read back by runMeasured). */
export function nodeArgs(): string[] {
  return ['--import', join(REPO, 'dist', 'bench', 'peak-rss.js')];
}

/** Run `command args` to the end (or to a cap), sampling its RSS every 200 ms. */
export function runMeasured(
  command: string,
  args: string[],
  options: MeasureOptions = {},
): Promise<MeasuredRun> {
  const started = performance.now();
  const child = spawn(command, args, {
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let reported = '';
  (child.stdio[3] as Readable).on('data', (d) => (reported += d));
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => {
    stderr += d;
    const lines = (partial + d).split('\n');
    partial = lines.pop()!;
    for (const l of lines) options.onStderr?.(l);
  });
  let sampled = 0;
  let stopped: string | null = null;
  const timer = setInterval(() => {
    const pid = child.pid!;
    sampled = Math.max(sampled, procBytes(pid, 'VmHWM'));
    const gb = (b: number) => (b / 2 ** 30).toFixed(1);
    if (options.maxRssBytes && procBytes(pid, 'VmRSS') > options.maxRssBytes)
      stopped = `memory cap ${gb(options.maxRssBytes)} GB reached`;
    else if (options.maxMs && performance.now() - started > options.maxMs)
      stopped = `time cap ${(options.maxMs / 60_000).toFixed(1)} min reached`;
    if (stopped) child.kill('SIGKILL');
  }, 200);
  return new Promise((ok, fail) => {
    child.once('error', fail);
    child.once('close', (code) => {
      clearInterval(timer);
      const peakRss = reported ? Number(reported) : sampled;
      ok({ code, stdout, stderr, ms: performance.now() - started, peakRss, stopped });
    });
  });
}
