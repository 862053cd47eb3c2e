/** Start accord-server on a fresh data dir with the demo, for the browser smoke test. */

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A running server and the demo login. */
export interface TestServer {
  url: string;
  email: string;
  password: string;
  /** The demo admin's API token. */
  token: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? ok(addr.port) : fail(new Error('no port'))));
    });
  });
}

/** `accord-server demo` into a new temp dir, then `serve` on a free port (serves web/dist). */
/** A fresh server with the demo; `env` adds settings for this server only (e.g. a limit). */
export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const bin = process.env['ACCORD_SERVER'] ?? resolve(import.meta.dirname, '../../.venv/bin/accord-server');
  const dataDir = mkdtempSync(join(tmpdir(), 'accord-e2e-'));
  const demo = await run(bin, ['demo', '--data-dir', dataDir], { env: { ...process.env } });
  const m = /login:\s*(\S+)\s+password:\s*(\S+)/.exec(demo.stdout + demo.stderr);
  const t = /API token:\s*(\S+)/.exec(demo.stdout + demo.stderr);
  if (!m || !t) throw new Error(`demo printed no login:\n${demo.stdout}\n${demo.stderr}`);
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ['serve', '--port', String(port)], {
    env: { ...process.env, ...env, ACCORD_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/api/v1/health`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (i > 100 || child.exitCode !== null) throw new Error(`server did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    email: m[1] as string,
    password: m[2] as string,
    token: t[1] as string,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
