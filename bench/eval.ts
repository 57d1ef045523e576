/**
 * `npm run eval`: index ../shared/corpus (cna-rti + oped), serve it on a free port, and score it
 * with ../shared/eval/run_eval.py on the public and regional queries. `--rebuild` re-indexes.
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/server/app.js';
import { createLogger } from '../src/log.js';
import {
  corpusIndex,
  sharedAvailable,
  PUBLIC_QUERIES,
  REGIONAL_QUERIES,
  RUN_EVAL,
} from './shared.js';

async function main(): Promise<void> {
  if (!sharedAvailable()) {
    console.log('skipped: ../shared/corpus not found beside the repo');
    return;
  }
  const rebuild = process.argv.includes('--rebuild');
  const { index, report } = await corpusIndex(rebuild);
  if (report)
    console.log(
      `indexed ${report.posts} posts, ${report.errors.length} errors, ${report.seconds.toFixed(2)} s`,
    );
  const app = createApp({ index }, createLogger('warn'));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((ok) => server.once('listening', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    for (const [name, file] of [
      ['public', PUBLIC_QUERIES],
      ['regional', REGIONAL_QUERIES],
    ]) {
      const args = [RUN_EVAL, file, '--url', url];
      const perQuery = process.argv.find((a) => a.startsWith('--per-query='));
      if (perQuery)
        args.push('--per-query', `${perQuery.slice('--per-query='.length)}.${name}.jsonl`);
      // run_eval.py is synchronous HTTP; the server must keep answering, so run it async.
      const out = await runPython(args);
      console.log(`${name}: ${out.trim()}`);
    }
  } finally {
    server.close();
  }
}

function runPython(args: string[]): Promise<string> {
  return new Promise((ok, fail) => {
    const p = spawn('python3', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', fail);
    p.on('close', (code) =>
      code === 0 ? ok(out) : fail(new Error(`run_eval.py exited with ${code}`)),
    );
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
