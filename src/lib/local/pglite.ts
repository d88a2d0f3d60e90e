/**
 * The local "Aurora PostgreSQL": PGlite (PostgreSQL compiled to WebAssembly, in-process) served over
 * the wire protocol by pglite-socket, so setup-db-users runs the same `pg` code as on AWS.
 *
 * Start-up measured on this machine (2 vCPU, Node 20): 1.8-3.4 s for a new database (WASM compile and
 * initdb; in memory, or a new dataDir of ~40 MB), ~0.2 s to reopen an existing dataDir; the socket
 * server itself ~2 ms. Start it once per process.
 *
 * PGlite differences that matter here: there is one backend shared by all connections (the server
 * multiplexes them and serves one transaction at a time), session settings such as SET ROLE are shared
 * too, and logins are not authenticated (every connection is `postgres`; passwords are not checked).
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface LocalPostgresOptions {
  /** Folder to persist the database in; in memory when absent. */
  dataDir?: string;
  /** Concurrent client connections the server accepts, default 16. */
  maxConnections?: number;
}

export interface LocalPostgres {
  host: string;
  port: number;
  database: 'postgres';
  /** The embedded database, for direct queries (seeding, tests). */
  pglite: PGlite;
  /** Milliseconds the database and server took to start. */
  startupMs: number;
  stop(): Promise<void>;
}

/** Starts PGlite and serves it on 127.0.0.1 on a free port. */
export async function startLocalPostgres(options: LocalPostgresOptions = {}): Promise<LocalPostgres> {
  const started = performance.now();
  const pglite = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: options.maxConnections ?? 16 });
  try {
    await server.start();
  } catch (err) {
    await pglite.close();
    throw err;
  }
  const [host, port] = splitHostPort(server.getServerConn());
  let stopped = false;
  return {
    host,
    port,
    database: 'postgres',
    pglite,
    startupMs: Math.round(performance.now() - started),
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await pglite.close();
    },
  };
}

function splitHostPort(conn: string): [string, number] {
  const i = conn.lastIndexOf(':');
  const port = Number(conn.slice(i + 1));
  if (!Number.isInteger(port) || port <= 0) throw new Error(`pglite-socket: expected host:port, got "${conn}"`);
  return [conn.slice(0, i), port];
}

/** A small application schema (`public.orders` with a few rows) for the grants to apply to. Idempotent. */
export async function seedDemoSchema(pglite: PGlite): Promise<void> {
  await pglite.exec(`
    CREATE TABLE IF NOT EXISTS public.orders (
      id          integer PRIMARY KEY,
      customer    text    NOT NULL,
      total_cents integer NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO public.orders (id, customer, total_cents) VALUES
      (1, 'Ada Lovelace', 12500),
      (2, 'Grace Hopper', 4200),
      (3, 'Edsger Dijkstra', 990)
    ON CONFLICT (id) DO NOTHING;
  `);
}
