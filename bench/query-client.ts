/**
 * Query load for the live-write benchmarks (bench/live.ts, bench/scale.ts): a client in its own
 * thread sending GET requests back to back, so a busy server thread shows up in its timings.
 */
import { Worker } from 'node:worker_threads';
import { percentile } from './shared.js';

/** GET base + paths[i] in a loop until told to stop; posts back [startedAt, ms] pairs. */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
let stop = false;
parentPort.on('message', () => (stop = true));
(async () => {
  const out = [];
  for (let i = 0; !stop; i++) {
    const t = performance.timeOrigin + performance.now();
    const r = await fetch(workerData.base + workerData.paths[i % workerData.paths.length]);
    await r.arrayBuffer();
    out.push([t, performance.timeOrigin + performance.now() - t]);
  }
  parentPort.postMessage(out);
})();
`;

/** Start a client thread; `stop()` ends it and gives each request's [startedAt (epoch ms), ms]. */
export function queryClient(base: string, paths: string[]) {
  const w = new Worker(CLIENT, { eval: true, workerData: { base, paths } });
  return {
    stop: () =>
      new Promise<[number, number][]>((ok) => {
        w.once('message', (m: [number, number][]) => {
          void w.terminate();
          ok(m);
        });
        w.postMessage('stop');
      }),
  };
}

/** p50, p99 and max of request times, with their count. */
export const latencySummary = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${percentile(s, 0.5).toFixed(1)} ms, p99 ${percentile(s, 0.99).toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms (${s.length} requests)`;
};

export const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
