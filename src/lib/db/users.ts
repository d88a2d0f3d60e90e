/**
 * Application users: roles created or updated with quoted SQL (identifiers with escapeIdentifier, passwords
 * with escapeLiteral), their table privileges on named schemas, logins taken away before post-restore SQL
 * runs, and a login per user that proves the result.
 */
import type { Client } from 'pg';
import { escapeIdentifier, escapeLiteral } from 'pg';
import { TABLE_PRIVILEGES, type TablePrivilege } from '../../schemas/refresh-settings';
import type { AppUser, DbCredentials, DbEndpoint } from '../ports';
import { DatabaseAdminError, inTransaction, run, withSession, type SessionOptions } from './session';

/** PostgreSQL's NAMEDATALEN is 64: a role name holds at most 63 bytes (longer ones are silently truncated). */
const MAX_IDENTIFIER_BYTES = 63;

const schemasOf = (u: { schemas?: string[] }) => (u.schemas?.length ? [...new Set(u.schemas)] : ['public']);

/** Creates or updates each role and its grants, one transaction per user. */
export async function configureUsers(options: SessionOptions, endpoint: DbEndpoint, master: DbCredentials, users: AppUser[]): Promise<void> {
  users.forEach((u, i) => validateUser(u, `users[${i}]`, master.username));
  await withSession(options, endpoint, master, 'master', async (client) => {
    for (const user of users) await configureUser(options, client, endpoint.database, user);
  });
}

async function configureUser(options: SessionOptions, client: Client, database: string, user: AppUser): Promise<void> {
  const secrets = [user.password];
  const role = escapeIdentifier(user.username);
  const privileges = new Set(user.privileges);
  const granted = TABLE_PRIVILEGES.filter((p) => privileges.has(p)).join(', ');
  const revoked = TABLE_PRIVILEGES.filter((p) => !privileges.has(p)).join(', ');
  await inTransaction(
    client,
    async () => {
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
      const grants: [string, string][] = [[`GRANT CONNECT ON DATABASE ${escapeIdentifier(database)} TO ${role}`, 'GRANT CONNECT']];
      for (const schema of schemasOf(user)) {
        const s = escapeIdentifier(schema);
        grants.push([`GRANT USAGE ON SCHEMA ${s} TO ${role}`, `GRANT USAGE ON SCHEMA "${schema}"`]);
        // The request is the source of truth: privileges it does not list are revoked, so a rerun converges.
        if (revoked) {
          grants.push([`REVOKE ${revoked} ON ALL TABLES IN SCHEMA ${s} FROM ${role}`, `REVOKE ${revoked} in "${schema}"`]);
          grants.push([`ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} REVOKE ${revoked} ON TABLES FROM ${role}`, `ALTER DEFAULT PRIVILEGES REVOKE in "${schema}"`]);
        }
        if (granted) {
          grants.push([`GRANT ${granted} ON ALL TABLES IN SCHEMA ${s} TO ${role}`, `GRANT ${granted} in "${schema}"`]);
          grants.push([`ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT ${granted} ON TABLES TO ${role}`, `ALTER DEFAULT PRIVILEGES GRANT in "${schema}"`]);
        }
        // Inserting into a table with a serial or identity column uses its sequence.
        if (privileges.has('INSERT')) grants.push([`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${role}`, `GRANT USAGE ON SEQUENCES in "${schema}"`]);
        else grants.push([`REVOKE USAGE ON ALL SEQUENCES IN SCHEMA ${s} FROM ${role}`, `REVOKE USAGE ON SEQUENCES in "${schema}"`]);
      }
      for (const [sql, what] of grants) await run(client, sql, `${what} to "${user.username}"`, secrets);
    },
    'BEGIN',
    secrets,
  );
  options.logger?.info('database user configured', { username: user.username, privileges: user.privileges, schemas: schemasOf(user), database });
}

/**
 * Takes LOGIN away from the roles that exist and ends their sessions. A snapshot of production carries its
 * roles (with production's passwords): until the post-restore SQL has run and been validated, nobody logs in
 * as an application user.
 */
export async function disableLogins(options: SessionOptions, endpoint: DbEndpoint, master: DbCredentials, usernames: string[]): Promise<string[]> {
  usernames.forEach((u, i) => validateUsername(u, `usernames[${i}]`));
  return withSession(options, endpoint, master, 'master', async (client) => {
    const found = await run(client, 'SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[]) ORDER BY 1', 'look up roles', [], [usernames]);
    const existing = found.rows.map((r: { rolname: string }) => r.rolname);
    for (const name of existing) await run(client, `ALTER ROLE ${escapeIdentifier(name)} WITH NOLOGIN`, `ALTER ROLE "${name}" NOLOGIN`);
    if (existing.length) {
      // Sessions opened before: NOLOGIN only refuses new ones.
      await run(client, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY($1::text[]) AND pid <> pg_backend_pid()', 'end their sessions', [], [existing]).catch(
        (e: DatabaseAdminError) => options.logger?.warn('could not end sessions of disabled roles', { error: e.message }),
      );
    }
    return existing;
  });
}

/** Logs in as the user and checks it is who it says, may log in and connect, and holds its privileges. */
export async function verifyLogin(options: SessionOptions, endpoint: DbEndpoint, user: DbCredentials | AppUser): Promise<void> {
  validateUsername(user.username, 'user.username');
  const privileges = 'privileges' in user ? validatePrivileges(user.privileges, 'user.privileges') : [];
  const secrets = [user.password];
  await withSession(options, endpoint, user, `login as "${user.username}"`, async (client) => {
    try {
      await run(client, 'BEGIN', 'begin verification', secrets);
      // PGlite serves every connection as `postgres`, whatever user it names; SET ROLE makes the check
      // below meaningful there and is a no-op for the logged-in user on real PostgreSQL. SET LOCAL keeps it
      // inside this transaction: PGlite shares one session between connections (and serves one
      // transaction at a time), so the role must not outlive the check. SET takes no bind parameters.
      await run(client, `SET LOCAL ROLE ${escapeIdentifier(user.username)}`, `SET ROLE "${user.username}"`, secrets);
      const who = await run(
        client,
        `SELECT current_user AS who, has_database_privilege(current_user, current_database(), 'CONNECT') AS can_connect,
                (SELECT rolcanlogin FROM pg_roles WHERE rolname = current_user) AS can_login`,
        'read current_user',
        secrets,
      );
      const row = who.rows[0] as { who: string; can_connect: boolean; can_login: boolean };
      if (row.who !== user.username) throw new DatabaseAdminError(`verifyLogin: logged in as "${row.who}", expected "${user.username}"`);
      // Real PostgreSQL refuses a NOLOGIN role at the door; PGlite does not authenticate, so it is read here.
      if (!row.can_login) throw new DatabaseAdminError(`verifyLogin: "${user.username}" may not log in (NOLOGIN)`, '28000');
      if (!row.can_connect) throw new DatabaseAdminError(`verifyLogin: "${user.username}" lacks CONNECT on database "${endpoint.database}"`);
      if (privileges.length > 0) {
        // Relation kinds that GRANT ... ON ALL TABLES covers: tables, partitioned tables, views, matviews, foreign tables.
        const missing = await run(
          client,
          `SELECT c.oid::regclass::text AS relation, p.privilege
             FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             CROSS JOIN unnest($1::text[]) AS p(privilege)
            WHERE n.nspname = ANY($2::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND NOT has_table_privilege(current_user, c.oid, p.privilege)
            ORDER BY 1, 2 LIMIT 10`,
          'check table privileges',
          secrets,
          [privileges, schemasOf(user as AppUser)],
        );
        if (missing.rows.length > 0) {
          const list = missing.rows.map((r: { relation: string; privilege: string }) => `${r.privilege} on ${r.relation}`).join(', ');
          throw new DatabaseAdminError(`verifyLogin: "${user.username}" lacks ${list}`);
        }
      }
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
    }
  });
  options.logger?.info('database login verified', { username: user.username, database: endpoint.database });
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
  schemasOf(user).forEach((s, i) => validateName(s, `${field}.schemas[${i}]`));
}

/** Throws unless `name` is a PostgreSQL role name we may manage: 1-63 bytes, no NUL, not reserved. */
export function validateUsername(name: unknown, field = 'username'): asserts name is string {
  validateName(name, field);
  if (/^pg_/i.test(name) || ['public', 'none', 'current_user', 'session_user', 'current_role'].includes(name.toLowerCase())) {
    throw new Error(`${field}: "${name}" is reserved by PostgreSQL`);
  }
}

function validateName(name: unknown, field: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new Error(`${field}: expected a non-empty string`);
  if (name.includes('\0')) throw new Error(`${field}: expected no NUL characters`);
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES) throw new Error(`${field}: expected at most ${MAX_IDENTIFIER_BYTES} bytes (UTF-8), got ${bytes}`);
}

export function validatePrivileges(privileges: unknown, field: string): TablePrivilege[] {
  if (!Array.isArray(privileges)) throw new Error(`${field}: expected an array of ${TABLE_PRIVILEGES.join(', ')}`);
  privileges.forEach((p, i) => {
    if (!(TABLE_PRIVILEGES as readonly unknown[]).includes(p)) {
      throw new Error(`${field}[${i}]: expected one of ${TABLE_PRIVILEGES.join(', ')}, got ${JSON.stringify(p)}`);
    }
  });
  return [...new Set(privileges as TablePrivilege[])];
}
