/**
 * moto_server on loopback, one per test file: `python3 -m moto.server -H 127.0.0.1 -p PORT`, spawned
 * directly (not through the `moto_server` shim, whose forked child would survive a kill of the shim)
 * and killed by its PID. Tests skip, saying why, when `python3 -m moto.server` is not available.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** The moto module the server needs: `moto.server` imports flask and werkzeug (moto[server]). */
function probeMoto(): { available: boolean; reason?: string; version?: string } {
  const r = spawnSync('python3', ['-c', 'import moto, moto.server; print(moto.__version__)'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return { available: false, reason: `python3 not runnable (${r.error.message})` };
  if (r.status !== 0) return { available: false, reason: `python3 -m moto.server not importable: ${(r.stderr || '').trim().split('\n').pop()}` };
  return { available: true, version: r.stdout.trim() };
}

const probe = probeMoto();
export const motoAvailable = probe.available;
export const motoVersion = probe.version;
/** Why the moto tests are skipped (logged once per file). */
export const motoSkipReason = probe.available
  ? undefined
  : `moto tests skipped: ${probe.reason}. Install moto with its server extras (pip install "moto[server]") so that \`python3 -m moto.server\` runs.`;

export interface MotoServer {
  endpoint: string;
  port: number;
  pid: number;
  /** Resets every backend of the server (all regions). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Starts moto_server and waits (bounded) until its management API answers. */
export async function startMoto(options: { readyTimeoutMs?: number } = {}): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    // Keep the tail only: moto logs every request.
    stderr = (stderr + d.toString()).slice(-8000);
  });
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited !== undefined) throw new Error(`moto_server exited with code ${exited} before answering:\n${stderr}`);
    try {
      const r = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint} within the timeout:\n${stderr}`);
    }
    // A short yield between polls of a process that is starting (no fixed wait in the tests themselves).
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    endpoint,
    port,
    pid: child.pid!,
    async reset() {
      const r = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!r.ok) throw new Error(`moto reset: HTTP ${r.status}`);
    },
    async stop() {
      if (exited !== undefined) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** The variables every AWS SDK v3 client reads to talk to moto: endpoint, dummy credentials, region. */
export function motoSdkEnvironment(endpoint: string, region: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // Powertools writes EMF metric lines to stdout at the end of each invocation: not useful here.
    POWERTOOLS_METRICS_DISABLED: 'true',
    // No profile, config or credentials file of the machine may add to (or win over) these.
    AWS_CONFIG_FILE: '/nonexistent/aurora-restore-moto/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aurora-restore-moto/credentials',
  };
}

/**
 * The SDK reads AWS_ENDPOINT_URL and the credentials from process.env (the pipeline's adapters take no
 * endpoint option, as on Lambda), so the moto variables are set on process.env for the test file
 * (vitest runs each file in its own process) and the previous values are put back by the returned function.
 */
export function useMotoEnvironment(vars: Record<string, string>): () => void {
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(vars)) {
    saved.set(k, process.env[k]);
    process.env[k] = v;
  }
  for (const k of ['AWS_PROFILE']) {
    saved.set(k, process.env[k]);
    delete process.env[k];
  }
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
