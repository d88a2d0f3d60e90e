/**
 * `DatabaseAdmin` over the PostgreSQL wire protocol with `pg`: the same code configures users on an
 * Aurora PostgreSQL cluster and on the local PGlite server.
 *
 * @example
 * const admin = new PgDatabaseAdmin({ ssl: { rejectUnauthorized: true } });
 * await admin.configureUsers(endpoint, master, [{ username: 'app', password, privileges: ['SELECT'] }]);
 * await admin.verifyLogin(endpoint, { username: 'app', password });
 */
import { Client, escapeIdentifier, escapeLiteral, type ClientConfig } from 'pg';
import type { AppUser, DatabaseAdmin, DbCredentials, DbEndpoint, Logger } from './ports';

export const ALLOWED_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
export type TablePrivilege = (typeof ALLOWED_PRIVILEGES)[number];

/** PostgreSQL's NAMEDATALEN is 64: a role name holds at most 63 bytes (longer ones are silently truncated). */
const MAX_IDENTIFIER_BYTES = 63;

export interface PgDatabaseAdminOptions {
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

export class PgDatabaseAdmin implements DatabaseAdmin {
  constructor(private readonly options: PgDatabaseAdminOptions = {}) {}

  async configureUsers(endpoint: DbEndpoint, master: DbCredentials, users: AppUser[]): Promise<void> {
    users.forEach((u, i) => validateUser(u, `users[${i}]`, master.username));
    const client = await this.connect(endpoint, master, 'master');
    try {
      for (const user of users) await this.configureUser(client, endpoint.database, user);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async verifyLogin(endpoint: DbEndpoint, user: DbCredentials): Promise<void> {
    validateUsername(user.username, 'user.username');
    const privileges = 'privileges' in user ? validatePrivileges((user as AppUser).privileges, 'user.privileges') : [];
    const client = await this.connect(endpoint, user, `login as "${user.username}"`);
    const secrets = [user.password];
    try {
      await run(client, 'BEGIN', 'begin verification', secrets);
      // PGlite serves every connection as `postgres`, whatever user it names; SET ROLE makes the check
      // below meaningful there and is a no-op for the logged-in user on real PostgreSQL. SET LOCAL keeps it
      // inside this transaction: PGlite shares one session between connections (and serves one
      // transaction at a time), so the role must not outlive the check. SET takes no bind parameters.
      await run(client, `SET LOCAL ROLE ${escapeIdentifier(user.username)}`, `SET ROLE "${user.username}"`, secrets);
      const who = await run(
        client,
        `SELECT current_user AS who, has_database_privilege(current_user, current_database(), 'CONNECT') AS can_connect`,
        'read current_user',
        secrets,
      );
      const row = who.rows[0] as { who: string; can_connect: boolean };
      if (row.who !== user.username) {
        throw new DatabaseAdminError(`verifyLogin: logged in as "${row.who}", expected "${user.username}"`);
      }
      if (!row.can_connect) {
        throw new DatabaseAdminError(`verifyLogin: "${user.username}" lacks CONNECT on database "${endpoint.database}"`);
      }
      if (privileges.length > 0) {
        // Relation kinds that GRANT ... ON ALL TABLES covers: tables, partitioned tables, views, matviews, foreign tables.
        const missing = await run(
          client,
          `SELECT c.oid::regclass::text AS relation, p.privilege
             FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             CROSS JOIN unnest($1::text[]) AS p(privilege)
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND NOT has_table_privilege(current_user, c.oid, p.privilege)
            ORDER BY 1, 2 LIMIT 10`,
          'check table privileges',
          secrets,
          [privileges],
        );
        if (missing.rows.length > 0) {
          const list = missing.rows.map((r: { relation: string; privilege: string }) => `${r.privilege} on ${r.relation}`).join(', ');
          throw new DatabaseAdminError(`verifyLogin: "${user.username}" lacks ${list}`);
        }
      }
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    }
    this.options.logger?.info('database login verified', { username: user.username, database: endpoint.database });
  }

  /** Creates or updates one role and its grants in one transaction. */
  private async configureUser(client: Client, database: string, user: AppUser): Promise<void> {
    const secrets = [user.password];
    const role = escapeIdentifier(user.username);
    const privileges = new Set(user.privileges);
    const granted = [...privileges].join(', ');
    const revoked = ALLOWED_PRIVILEGES.filter((p) => !privileges.has(p)).join(', ');
    await run(client, 'BEGIN', 'begin', secrets);
    try {
      const exists = await run(client, 'SELECT 1 FROM pg_roles WHERE rolname = $1', 'look up role', secrets, [user.username]);
      // DDL takes no bind parameters: the role and database are quoted with escapeIdentifier and the
      // password with escapeLiteral. Errors from these statements never carry their text (see run()).
      const password = escapeLiteral(user.password);
      await run(
        client,
        exists.rowCount ? `ALTER ROLE ${role} WITH LOGIN PASSWORD ${password}` : `CREATE ROLE ${role} WITH LOGIN PASSWORD ${password}`,
        `${exists.rowCount ? 'ALTER' : 'CREATE'} ROLE "${user.username}"`,
        secrets,
      );
      const grants: [string, string][] = [
        [`GRANT CONNECT ON DATABASE ${escapeIdentifier(database)} TO ${role}`, 'GRANT CONNECT'],
        [`GRANT USAGE ON SCHEMA public TO ${role}`, 'GRANT USAGE ON SCHEMA public'],
      ];
      // The secret is the source of truth: privileges it does not list are revoked, so a rerun converges.
      if (revoked) {
        grants.push([`REVOKE ${revoked} ON ALL TABLES IN SCHEMA public FROM ${role}`, `REVOKE ${revoked}`]);
        grants.push([`ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ${revoked} ON TABLES FROM ${role}`, `ALTER DEFAULT PRIVILEGES REVOKE ${revoked}`]);
      }
      if (granted) {
        grants.push([`GRANT ${granted} ON ALL TABLES IN SCHEMA public TO ${role}`, `GRANT ${granted}`]);
        grants.push([`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ${granted} ON TABLES TO ${role}`, `ALTER DEFAULT PRIVILEGES GRANT ${granted}`]);
      }
      for (const [sql, what] of grants) await run(client, sql, `${what} to "${user.username}"`, secrets);
      await run(client, 'COMMIT', 'commit', secrets);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    this.options.logger?.info('database user configured', { username: user.username, privileges: user.privileges, database });
  }

  private async connect(endpoint: DbEndpoint, credentials: DbCredentials, who: string): Promise<Client> {
    const { host, port } = this.options.resolveHost?.(endpoint) ?? endpoint;
    const client = new Client({
      host,
      port,
      database: endpoint.database,
      user: credentials.username,
      password: credentials.password,
      ssl: this.options.ssl,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 10_000,
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
}

/** Runs one statement; a failure is rethrown as `DatabaseAdminError` naming `what`, never the statement. */
async function run(client: Client, sql: string, what: string, secrets: string[], values?: unknown[]) {
  try {
    return await client.query(sql, values);
  } catch (err) {
    throw safeError(err, what, secrets);
  }
}

/**
 * Keeps only the server's message and code: pg errors can carry the statement (`internalQuery`,
 * `where`, a syntax error's token), so nothing else is copied and any secret left in the message is
 * masked (raw and as escaped by escapeLiteral).
 */
function safeError(err: unknown, what: string, secrets: string[]): DatabaseAdminError {
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

function validateUser(user: AppUser, field: string, masterUsername: string): void {
  validateUsername(user.username, `${field}.username`);
  if (user.username === masterUsername) {
    throw new Error(`${field}.username: expected an application user, got the master user "${masterUsername}"`);
  }
  if (typeof user.password !== 'string' || user.password.length === 0 || user.password.includes('\0')) {
    throw new Error(`${field}.password: expected a non-empty string without NUL characters`);
  }
  validatePrivileges(user.privileges, `${field}.privileges`);
}

/** Throws unless `name` is a PostgreSQL role name we may manage: 1-63 bytes, no NUL, not reserved. */
export function validateUsername(name: unknown, field = 'username'): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new Error(`${field}: expected a non-empty string`);
  if (name.includes('\0')) throw new Error(`${field}: expected no NUL characters`);
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) throw new Error(`${field}: expected at most ${MAX_IDENTIFIER_BYTES} bytes (UTF-8), got ${bytes}`);
  if (/^pg_/i.test(name) || ['public', 'none', 'current_user', 'session_user', 'current_role'].includes(name.toLowerCase())) {
    throw new Error(`${field}: "${name}" is reserved by PostgreSQL`);
  }
}

function validatePrivileges(privileges: unknown, field: string): TablePrivilege[] {
  if (!Array.isArray(privileges)) throw new Error(`${field}: expected an array of ${ALLOWED_PRIVILEGES.join(', ')}`);
  privileges.forEach((p, i) => {
    if (!(ALLOWED_PRIVILEGES as readonly unknown[]).includes(p)) {
      throw new Error(`${field}[${i}]: expected one of ${ALLOWED_PRIVILEGES.join(', ')}, got ${JSON.stringify(p)}`);
    }
  });
  return [...new Set(privileges as TablePrivilege[])];
}
