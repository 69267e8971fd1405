'use strict';
// Starts and stops a real `kefu serve` for the browser tests, on a fresh database:
// a SQLite file in a temp dir, or a new PostgreSQL database on 127.0.0.1:5432.

const { spawn, execFile } = require('node:child_process');
const { promisify } = require('node:util');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');

const execFileP = promisify(execFile);

/**
 * The environment for kefu processes: ours, less the harness's own KEFU_E2E_* / KEFU_BIN
 * variables — kefu reads KEFU_* variables as configuration (and warns about unknown ones).
 */
function kefuEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('KEFU_E2E_') || k === 'KEFU_BIN') delete env[k];
  return { ...env, ...extra };
}

const ADMIN = Object.freeze({
  email: 'admin@example.com',
  password: 'correct horse battery',
  name: 'Admin 管理员',
});

const PG_HOST = process.env.KEFU_E2E_PG_HOST || '127.0.0.1';
const PG_PORT = process.env.KEFU_E2E_PG_PORT || '5432';
const PG_USER = process.env.KEFU_E2E_PG_USER || 'postgres';

/** The kefu binary: $KEFU_BIN, else $CARGO_TARGET_DIR/debug/kefu, else ../target/debug/kefu. */
function kefuBin() {
  if (process.env.KEFU_BIN) return path.resolve(process.env.KEFU_BIN);
  if (process.env.CARGO_TARGET_DIR) return path.resolve(process.env.CARGO_TARGET_DIR, 'debug', 'kefu');
  return path.resolve(__dirname, '..', '..', 'target', 'debug', 'kefu');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function psql(sql) {
  await execFileP('psql', ['-h', PG_HOST, '-p', PG_PORT, '-U', PG_USER, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qc', sql], {
    timeout: 30_000,
  });
}

/** Runs the kefu CLI to completion; rejects with its output on a non-zero exit. */
async function kefuCli(args, env = {}) {
  try {
    return await execFileP(kefuBin(), args, {
      timeout: 60_000,
      env: kefuEnv(env),
      maxBuffer: 16 << 20,
    });
  } catch (err) {
    const msg = `kefu ${args.join(' ')} failed (exit ${err.code}): ${err.stderr || ''}${err.stdout || ''}`;
    throw new Error(msg);
  }
}

/** A fresh, empty database of the given kind. `drop()` removes it. */
async function createDatabase(kind) {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kefu-e2e-'));
    return {
      kind,
      url: `sqlite://${path.join(dir, 'kefu.db')}`,
      async drop() {
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (kind === 'postgres') {
    const name = `kefu_e2e_${crypto.randomBytes(6).toString('hex')}`;
    await psql(`CREATE DATABASE ${name}`);
    return {
      kind,
      url: `postgres://${PG_USER}@${PG_HOST}:${PG_PORT}/${name}`,
      async drop() {
        // WITH (FORCE) ends connections a stopped server may still have left behind.
        await psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      },
    };
  }
  throw new Error(`unknown database kind ${kind}`);
}

async function waitReady(baseURL, child, stderr, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`kefu serve exited early (code ${child.exitCode}, signal ${child.signalCode}); stderr:\n${stderr()}`);
    }
    try {
      const res = await fetch(`${baseURL}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = String(err.cause?.code || err.message);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`kefu serve did not become ready within ${timeoutMs / 1000} s (last: ${last}); stderr:\n${stderr()}`);
}

/**
 * Starts kefu on a fresh database of `kind` ('sqlite' | 'postgres') with the admin account
 * created through the CLI — or, with `demo`, as `kefu serve --demo` on the empty database (the
 * demo's own accounts, password kefu-demo-2026). Returns { baseURL, db, stop() }.
 */
async function startServer(kind, { readyTimeoutMs = 60_000, demo = false } = {}) {
  const bin = kefuBin();
  if (!fs.existsSync(bin)) throw new Error(`kefu binary not found at ${bin}; build it (cargo build -p kefu) or set KEFU_BIN`);
  const db = await createDatabase(kind);
  try {
    if (!demo) {
      await kefuCli([
        '--database-url', db.url,
        'user', 'create',
        '--email', ADMIN.email,
        '--password', ADMIN.password,
        '--role', 'admin',
        '--name', ADMIN.name,
      ]);
    }
    const port = await freePort();
    const baseURL = `http://127.0.0.1:${port}`;
    const args = ['serve', '--listen', `127.0.0.1:${port}`, '--database-url', db.url, '--no-scheduler'];
    if (demo) args.push('--demo');
    const child = spawn(bin, args, {
      env: kefuEnv({ KEFU_COOKIE_SECURE: 'false' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Keep the tail of the logs for error messages; never let a full pipe block the server.
    let log = '';
    const keep = (chunk) => {
      log = (log + chunk.toString()).slice(-64 * 1024);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await db.drop();
    };
    try {
      await waitReady(baseURL, child, () => log, readyTimeoutMs);
    } catch (err) {
      await stop();
      throw err;
    }
    return { baseURL, db, stop, logs: () => log };
  } catch (err) {
    await db.drop();
    throw err;
  }
}

module.exports = { ADMIN, kefuBin, kefuCli, startServer, createDatabase };
