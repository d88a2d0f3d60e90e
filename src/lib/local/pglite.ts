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

/**
 * The built-in world's application database, as a production snapshot would bring it: `public.customers`
 * with personal data (names, e-mail addresses, phone numbers, streets, birth dates, notes) and
 * `public.orders` that copy the customer's name — what the shipped example hook
 * (examples/post-restore/staging/01-mask-customers.sql) masks. Idempotent.
 */
export const DEMO_SCHEMA_SQL = `
    CREATE TABLE IF NOT EXISTS public.customers (
      id          integer PRIMARY KEY,
      full_name   text    NOT NULL,
      email       text    NOT NULL,
      phone       text,
      street      text,
      birth_date  date,
      country     text,
      notes       text
    );
    INSERT INTO public.customers (id, full_name, email, phone, street, birth_date, country, notes) VALUES
      (1, 'Ada Lovelace', 'ada@lovelace.example.com', '+44 20 7946 0001', '12 St James''s Square', '1815-12-10', 'GB', 'prefers e-mail'),
      (2, 'Grace Hopper', 'grace.hopper@navy.example.com', '+1 202 555 0102', '1 Compiler Lane', '1906-12-09', 'US', NULL),
      (3, 'Edsger Dijkstra', 'ewd@tue.example.com', '+31 40 247 0003', 'Den Dolech 2', '1930-05-11', 'NL', 'called about invoice 3')
    ON CONFLICT (id) DO NOTHING;
    CREATE TABLE IF NOT EXISTS public.orders (
      id          integer PRIMARY KEY,
      customer_id integer REFERENCES public.customers (id),
      customer    text    NOT NULL,
      total_cents integer NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO public.orders (id, customer_id, customer, total_cents) VALUES
      (1, 1, 'Ada Lovelace', 12500),
      (2, 2, 'Grace Hopper', 4200),
      (3, 3, 'Edsger Dijkstra', 990)
    ON CONFLICT (id) DO NOTHING;
`;

export async function seedDemoSchema(pglite: PGlite): Promise<void> {
  await pglite.exec(DEMO_SCHEMA_SQL);
}
