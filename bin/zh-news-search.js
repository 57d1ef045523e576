#!/usr/bin/env node
// @ts-check
/**
 * The command line (docs/api.md, "Command line"): `zh-news-search start|index|serve|search …`.
 * `npm start`, `npm run cli`, the Docker image and `npx zh-news-search` all start here. With
 * GLIBC_TUNABLES unset, it starts node again with them (tuned-node.js says why); otherwise it
 * runs the compiled CLI in this process. `npm run build` compiles it to dist/.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runTuned, tuned } from './tuned-node.js';

const cli = new URL('../dist/src/cli.js', import.meta.url);

if (!existsSync(cli)) {
  process.stderr.write(`error: ${fileURLToPath(cli)} is missing: run npm run build first\n`);
  process.exit(1);
} else if (tuned()) await import(cli.href);
else runTuned([fileURLToPath(cli), ...process.argv.slice(2)]);
