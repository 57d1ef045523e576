/**
 * Private PostgreSQL clusters for tests and benchmarks: initdb in a temporary folder, a free
 * loopback port, trust authentication for the local user `postgres`; stopped and removed by
 * `stop()`. PostgreSQL refuses to run as root: as root, the cluster runs as the `postgres`
 * account (Debian's package creates it) through runuser.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = '/usr/lib/postgresql/15/bin';

/** Whether PostgreSQL 15 and the RUM extension are installed (.ci/run installs them). */
export function postgresAvailable(): boolean {
  return (
    existsSync(join(BIN, 'initdb')) && existsSync('/usr/share/postgresql/15/extension/rum.control')
  );
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

const asRoot = process.getuid?.() === 0;

function run(cmd: string, args: string[]): string {
  if (!asRoot) return execFileSync(cmd, args, { encoding: 'utf8', stdio: 'pipe' });
  return execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], {
    encoding: 'utf8',
    stdio: 'pipe',
  });
}

export interface PgCluster {
  url: string;
  port: number;
  dir: string;
  stop(): void;
  /** Stop the server, leave its files (a replica that goes away). */
  kill(): void;
}

function startIn(dir: string, port: number, extra: string[] = []): void {
  run(join(BIN, 'pg_ctl'), [
    '-D',
    join(dir, 'data'),
    '-l',
    join(dir, 'log'),
    '-w',
    '-o',
    [`-p ${port}`, "-c listen_addresses='127.0.0.1'", `-k ${dir}`, '-c fsync=on', ...extra].join(
      ' ',
    ),
    'start',
  ]);
}

function handle(dir: string, port: number): PgCluster {
  let stopped = false;
  const kill = () => {
    if (stopped) return;
    stopped = true;
    spawnSync(
      asRoot ? 'runuser' : join(BIN, 'pg_ctl'),
      asRoot
        ? [
            '-u',
            'postgres',
            '--',
            join(BIN, 'pg_ctl'),
            '-D',
            join(dir, 'data'),
            '-m',
            'immediate',
            'stop',
          ]
        : ['-D', join(dir, 'data'), '-m', 'immediate', 'stop'],
      { stdio: 'ignore' },
    );
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    kill,
    stop: () => {
      kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zh-pg-'));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  return dir;
}

/** A new primary (wal_level replica: it can serve streaming replicas). */
export async function startCluster(): Promise<PgCluster> {
  const dir = tempDir();
  run(join(BIN, 'initdb'), [
    '-D',
    join(dir, 'data'),
    '-U',
    'postgres',
    '-A',
    'trust',
    '-E',
    'UTF8',
  ]);
  const port = await freePort();
  startIn(dir, port, ['-c max_wal_senders=4', '-c wal_level=replica']);
  return handle(dir, port);
}

/** A streaming replica of `primary` (pg_basebackup -R). */
export async function startReplica(primary: PgCluster): Promise<PgCluster> {
  const dir = tempDir();
  run(join(BIN, 'pg_basebackup'), [
    '-h',
    '127.0.0.1',
    '-p',
    String(primary.port),
    '-U',
    'postgres',
    '-D',
    join(dir, 'data'),
    '-R',
    // A fast checkpoint: the default spreads it over minutes.
    '-c',
    'fast',
  ]);
  const port = await freePort();
  startIn(dir, port);
  return handle(dir, port);
}
