/**
 * One PostgreSQL connection of the database admin, over the wire protocol with `pg` (the same code runs
 * against Aurora PostgreSQL and the local PGlite server), and the one way its failures are reported: a
 * `DatabaseAdminError` that names what was being done, carries the SQLSTATE, and never the statement nor
 * any secret — pg errors can carry the statement (`internalQuery`, `where`, a syntax error's token).
 */
import { Client, type ClientConfig } from 'pg';
import type { DbCredentials, DbEndpoint, Logger } from '../ports';

export interface SessionOptions {
  /** Maps an endpoint to the address to dial (the local runtime maps simulated Aurora endpoints to PGlite). */
  resolveHost?: (endpoint: DbEndpoint) => { host: string; port: number };
  /** pg TLS options; on AWS `{ rejectUnauthorized: true }` (with the RDS CA bundle in the trust store). */
  ssl?: ClientConfig['ssl'];
  /** Connection timeout, default 10 000 ms. */
  connectTimeoutMs?: number;
  logger?: Logger;
}

/**
 * A database failure with the SQL statement and any password removed. `code` is the SQLSTATE
 * (e.g. 28P01 wrong password) or the Node error code (ECONNREFUSED), which `classifyError` reads.
 */
export class DatabaseAdminError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'DatabaseAdminError';
  }
}

export async function connect(options: SessionOptions, endpoint: DbEndpoint, credentials: DbCredentials, who: string): Promise<Client> {
  const { host, port } = options.resolveHost?.(endpoint) ?? endpoint;
  const client = new Client({
    host,
    port,
    database: endpoint.database,
    user: credentials.username,
    password: credentials.password,
    ssl: options.ssl,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: 'aurora-restore',
  });
  // Failures reach us through the awaited calls; an unhandled 'error' event would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw safeError(err, `${who}: connect to ${endpoint.host}:${endpoint.port}/${endpoint.database}`, [credentials.password]);
  }
  return client;
}

/** Runs `fn` on a new connection and always closes it. */
export async function withSession<T>(options: SessionOptions, endpoint: DbEndpoint, credentials: DbCredentials, who: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = await connect(options, endpoint, credentials, who);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Runs one statement; a failure is rethrown as `DatabaseAdminError` naming `what`, never the statement. */
export async function run(client: Client, sql: string, what: string, secrets: string[] = [], values?: unknown[]) {
  try {
    return await client.query(sql, values);
  } catch (err) {
    throw safeError(err, what, secrets);
  }
}

/** Runs `fn` in a transaction: COMMIT when it returns, ROLLBACK when it throws. */
export async function inTransaction<T>(client: Client, fn: () => Promise<T>, begin = 'BEGIN', secrets: string[] = []): Promise<T> {
  await run(client, begin, 'begin', secrets);
  try {
    const result = await fn();
    await run(client, 'COMMIT', 'commit', secrets);
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * Keeps only the server's message and code, and masks any secret left in the message (raw and as escaped by
 * escapeLiteral).
 */
export function safeError(err: unknown, what: string, secrets: string[]): DatabaseAdminError {
  if (err instanceof DatabaseAdminError) return err;
  const e = err as { message?: unknown; code?: unknown };
  let message = typeof e?.message === 'string' ? e.message : 'unknown error';
  for (const s of secrets) {
    if (!s) continue;
    for (const form of new Set([s, s.replaceAll("'", "''"), s.replaceAll("'", "''").replaceAll('\\', '\\\\')])) {
      message = message.split(form).join('[redacted]');
    }
  }
  const code = typeof e?.code === 'string' ? e.code : undefined;
  return new DatabaseAdminError(`${what} failed${code ? ` (${code})` : ''}: ${message}`, code);
}

/**
 * SQLSTATE classes whose server messages name objects and tokens of the statement, never row values:
 * connection (08), feature not supported (0A), integrity (23: the values are in DETAIL, which is dropped),
 * transaction state (25), authorization (28), catalog/schema names (3D, 3F), rollbacks (40), syntax and
 * access rules (42), resources and limits (53, 54), prerequisite state (55), operator intervention (57:
 * statement timeout). Data exceptions (22: "invalid input syntax for type integer: \"…\"") and RAISE from
 * PL/pgSQL (P0) can quote data: their message is withheld.
 */
const SAFE_SQLSTATE_CLASSES = new Set(['08', '0A', '23', '25', '28', '3D', '3F', '40', '42', '53', '54', '55', '57']);

/** A server error as one line that never quotes data: its SQLSTATE, and its message when its class cannot carry values. */
export function describeServerError(err: unknown): { code?: string; text: string } {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  if (!code) return { text: `${(err as Error)?.name ?? 'Error'} (no SQLSTATE; message withheld)` };
  const message = typeof e.message === 'string' ? e.message.split('\n')[0].slice(0, 300) : '';
  return { code, text: SAFE_SQLSTATE_CLASSES.has(code.slice(0, 2)) ? `SQLSTATE ${code}: ${message}` : `SQLSTATE ${code} (message withheld: it may quote data)` };
}
