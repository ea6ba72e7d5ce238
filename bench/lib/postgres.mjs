// PostgreSQL from Debian's packages, started by the bench in a temporary directory on a
// loopback port, and stopped with it. Skipped, with the reason, where it cannot run.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** @returns {string | null} */
function findBinDir() {
  const fromConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  /** @type {string[]} */
  const candidates = [];
  if (fromConfig.status === 0) candidates.push(fromConfig.stdout.trim());
  if (existsSync('/usr/lib/postgresql')) {
    for (const v of readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)))
      candidates.push(`/usr/lib/postgresql/${v}/bin`);
  }
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) ?? null;
}

/**
 * Installs Debian's postgresql package when it is missing and the bench may (root, apt-get).
 * Returns why it could not, or null.
 * @param {(...m: unknown[]) => void} log
 * @returns {string | null}
 */
function tryInstall(log) {
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version']).status !== 0) return 'not root, or no apt-get';
  log('PostgreSQL is not installed: apt-get update && apt-get install -y postgresql');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'postgresql']]) {
    const r = spawnSync('apt-get', args, { env, stdio: 'ignore', timeout: 300_000 });
    if (r.status !== 0) return `apt-get ${args.join(' ')} failed (exit ${r.status ?? r.signal})`;
  }
  return null;
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * Commands run as the `postgres` user when the bench runs as root (initdb refuses root).
 * @param {string} cmd
 * @param {string[]} args
 * @returns {[string, string[]]}
 */
function asPostgresUser(cmd, args) {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

/**
 * Resolves with `{ url, stop }`, or `{ skipped: reason }`. The cluster lives in `parent`
 * (the bench puts it on the same tmpfs as the Durable Objects' SQLite files) with
 * PostgreSQL's default durability settings (fsync, synchronous_commit on).
 * @param {{ parent: string, allowInstall: boolean, log: (...m: unknown[]) => void }} options
 * @returns {Promise<{ url: string, version: string, stop: () => Promise<void>, skipped?: undefined } | { skipped: string }>}
 */
export async function startPostgres({ parent, allowInstall, log }) {
  let bin = findBinDir();
  if (!bin && allowInstall) {
    const failed = tryInstall(log);
    if (failed) return { skipped: `PostgreSQL is not installed and could not be installed: ${failed}` };
    bin = findBinDir();
  }
  if (!bin) return { skipped: 'PostgreSQL is not installed (apt-get install -y postgresql), and --no-install was given' };
  const dir = mkdtempSync(join(parent, 'pg-'));
  const data = join(dir, 'data');
  try {
    if (process.getuid?.() === 0) chownSync(dir, uidOf('postgres'), gidOf('postgres'));
    const [initCmd, initArgs] = asPostgresUser(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'bench',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--no-instructions',
    ]);
    execFileSync(initCmd, initArgs, { stdio: 'ignore' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return { skipped: `initdb failed: ${/** @type {Error} */ (e).message.split('\n')[0]}` };
  }
  const port = await freePort();
  const [cmd, args] = asPostgresUser(join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'max_connections=200',
  ]);
  const server = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr.on('data', (d) => (stderr += d));
  const url = `postgres://bench@127.0.0.1:${port}/postgres`;
  const ready = await waitReady(bin, port, dir, server);
  const stop = async () => {
    if (server.exitCode === null) {
      const exited = new Promise((done) => server.once('exit', done));
      const [ctl, ctlArgs] = asPostgresUser(join(bin, 'pg_ctl'), ['-D', data, 'stop', '-m', 'fast', '-w']);
      if (spawnSync(ctl, ctlArgs, { stdio: 'ignore', timeout: 30_000 }).status !== 0) server.kill('SIGINT');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  if (!ready) {
    await stop();
    return { skipped: `postgres did not start: ${stderr.trim().split('\n').slice(-2).join(' ')}` };
  }
  const version = spawnSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout.trim();
  return { url, version, stop };
}

/**
 * @param {string} bin
 * @param {number} port
 * @param {string} _dir
 * @param {import('node:child_process').ChildProcess} server
 */
async function waitReady(bin, port, _dir, server) {
  for (let i = 0; i < 100 && server.exitCode === null; i++) {
    const r = spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'bench'], { stdio: 'ignore' });
    if (r.status === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** @param {string} user */
function uidOf(user) {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}
/** @param {string} user */
function gidOf(user) {
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
}
