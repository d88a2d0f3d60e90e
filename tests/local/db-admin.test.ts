import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabaseAdmin, DatabaseAdminError, validateUsername } from '../../src/lib/db-admin';
import { seedDemoSchema, startLocalPostgres, type LocalPostgres } from '../../src/lib/local/pglite';
import type { AppUser, DbEndpoint } from '../../src/lib/ports';

// One PGlite server for the whole file (it takes a few seconds to start).
let pg: LocalPostgres;
let endpoint: DbEndpoint;
const master = { username: 'postgres', password: 'master-Pa55' };
const admin = new PgDatabaseAdmin({
  // As the local runtime does: the simulated Aurora endpoint is dialled on the PGlite server.
  resolveHost: () => ({ host: pg.host, port: pg.port }),
  connectTimeoutMs: 5_000,
});

beforeAll(async () => {
  pg = await startLocalPostgres();
  await seedDemoSchema(pg.pglite);
  endpoint = { host: 'aurora-staging.cluster-abc.us-west-2.rds.amazonaws.com', port: 5432, database: 'postgres' };
});
afterAll(async () => {
  await pg?.stop();
});

async function rolesNamed(name: string) {
  return (await pg.pglite.query<{ rolname: string; rolcanlogin: boolean }>('SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = $1', [name])).rows;
}
async function tablePrivileges(role: string, table = 'public.orders') {
  const privs = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];
  const out: string[] = [];
  for (const p of privs) {
    const r = await pg.pglite.query<{ ok: boolean }>('SELECT has_table_privilege($1, $2, $3) AS ok', [role, table, p]);
    if (r.rows[0].ok) out.push(p);
  }
  return out;
}
async function sessionRole() {
  return (await pg.pglite.query<{ u: string }>('SELECT current_user AS u')).rows[0].u;
}

describe('PgDatabaseAdmin on PGlite over the wire protocol', () => {
  it('serves on 127.0.0.1 with a real port and the seeded demo table', async () => {
    expect(pg.host).toBe('127.0.0.1');
    expect(pg.port).toBeGreaterThan(0);
    const n = await pg.pglite.query<{ n: number }>('SELECT count(*)::int AS n FROM public.orders');
    expect(n.rows[0].n).toBe(3);
  });

  it('creates a LOGIN role with exactly the listed privileges, including on tables created later', async () => {
    const app: AppUser = { username: 'app', password: 'app-Secret-1', privileges: ['SELECT', 'INSERT'] };
    await admin.configureUsers(endpoint, master, [app]);

    expect(await rolesNamed('app')).toEqual([{ rolname: 'app', rolcanlogin: true }]);
    expect(await tablePrivileges('app')).toEqual(['SELECT', 'INSERT']);
    const connect = await pg.pglite.query<{ ok: boolean }>(`SELECT has_database_privilege('app', 'postgres', 'CONNECT') AS ok`);
    expect(connect.rows[0].ok).toBe(true);

    // Default privileges: a table the master creates afterwards is granted too.
    await pg.pglite.exec('CREATE TABLE public.invoices (id int PRIMARY KEY)');
    expect(await tablePrivileges('app', 'public.invoices')).toEqual(['SELECT', 'INSERT']);

    // verifyLogin logs in with the user's credentials and checks via SET ROLE + has_table_privilege.
    await admin.verifyLogin(endpoint, app);
    await admin.verifyLogin(endpoint, { username: app.username, password: app.password });
    // The role switch must not outlive the check (PGlite shares one session between connections).
    expect(await sessionRole()).toBe('postgres');
  });

  it('is idempotent and converges to the listed privileges on a second run', async () => {
    const app: AppUser = { username: 'app', password: 'app-Secret-2', privileges: ['SELECT', 'INSERT'] };
    await admin.configureUsers(endpoint, master, [app]);
    await admin.configureUsers(endpoint, master, [app]);
    expect(await rolesNamed('app')).toHaveLength(1);
    expect(await tablePrivileges('app')).toEqual(['SELECT', 'INSERT']);

    await admin.configureUsers(endpoint, master, [{ ...app, privileges: ['SELECT', 'UPDATE', 'UPDATE'] }]);
    expect(await tablePrivileges('app')).toEqual(['SELECT', 'UPDATE']);
    await pg.pglite.exec('CREATE TABLE public.refunds (id int PRIMARY KEY)');
    expect(await tablePrivileges('app', 'public.refunds')).toEqual(['SELECT', 'UPDATE']);
  });

  it('quotes injection-looking, quoted and unicode names so they round-trip exactly', async () => {
    const names = ['app"; DROP TABLE public.orders; --', "o'brien", 'Ünïcødé 用户', 'MixedCase', 'select'];
    const users: AppUser[] = names.map((username, i) => ({ username, password: `pw'"; DROP ROLE postgres; --${i}\\`, privileges: ['SELECT'] }));
    await admin.configureUsers(endpoint, master, users);
    for (const u of users) {
      expect(await rolesNamed(u.username)).toEqual([{ rolname: u.username, rolcanlogin: true }]);
      expect(await tablePrivileges(u.username)).toEqual(['SELECT']);
      await admin.verifyLogin(endpoint, u);
    }
    // Nothing was dropped, and no role was created under an unquoted (lower-cased) name.
    const n = await pg.pglite.query<{ n: number }>('SELECT count(*)::int AS n FROM public.orders');
    expect(n.rows[0].n).toBe(3);
    expect(await rolesNamed('mixedcase')).toEqual([]);
    expect(await rolesNamed('postgres')).toHaveLength(1);
  });

  it('rolls a user back when a grant fails, and keeps the password out of the error', async () => {
    const password = 'Very-Secret-Passw0rd';
    const err = await admin
      .configureUsers({ ...endpoint, database: 'no_such_db' }, master, [{ username: 'rolled_back', password, privileges: ['SELECT'] }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseAdminError);
    const e = err as DatabaseAdminError;
    expect(e.message).toMatch(/GRANT CONNECT to "rolled_back" failed \(3D000\)/);
    expect(e.code).toBe('3D000');
    expect(JSON.stringify({ ...e, message: e.message, stack: e.stack })).not.toContain(password);
    expect(e.stack).not.toContain('PASSWORD');
    // CREATE ROLE ran in the same transaction and was rolled back.
    expect(await rolesNamed('rolled_back')).toEqual([]);
  });

  it('wraps a permission failure of the master without the statement or password', async () => {
    const password = 'Another-Secret-9';
    await pg.pglite.exec('CREATE ROLE weak_master NOLOGIN; SET ROLE weak_master');
    try {
      const err = await admin.configureUsers(endpoint, master, [{ username: 'app2', password, privileges: ['SELECT'] }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatabaseAdminError);
      expect((err as Error).message).toMatch(/CREATE ROLE "app2" failed \(42501\)/);
      expect(`${(err as Error).message}${(err as Error).stack}${JSON.stringify(err)}`).not.toContain(password);
    } finally {
      await pg.pglite.exec('RESET ROLE');
    }
    expect(await rolesNamed('app2')).toEqual([]);
  });

  it('rejects bad usernames and privileges before touching the database, naming the field', async () => {
    const ok = { password: 'Secret-Value-1', privileges: ['SELECT'] as AppUser['privileges'] };
    const cases: [AppUser, RegExp][] = [
      [{ ...ok, username: '' }, /users\[0\]\.username: expected a non-empty string/],
      [{ ...ok, username: 'a'.repeat(64) }, /users\[0\]\.username: expected at most 63 bytes/],
      [{ ...ok, username: 'é'.repeat(32) }, /at most 63 bytes \(UTF-8\), got 64/],
      [{ ...ok, username: 'a\0b' }, /users\[0\]\.username: expected no NUL/],
      [{ ...ok, username: 'pg_monitor' }, /reserved/],
      [{ ...ok, username: 'postgres' }, /users\[0\]\.username: expected an application user/],
      [{ ...ok, username: 'x', privileges: ['SELECT', 'DROP'] as never }, /users\[0\]\.privileges\[1\]: expected one of SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, got "DROP"/],
      [{ ...ok, username: 'x', schemas: ['a\0b'] }, /users\[0\]\.schemas\[0\]: expected no NUL/],
      [{ ...ok, username: 'x', password: 'Secret\0Value' }, /users\[0\]\.password: expected a non-empty string/],
    ];
    for (const [user, message] of cases) {
      const err = await admin.configureUsers(endpoint, master, [user]).catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(Error);
      expect(err!.message).toMatch(message);
      expect(err!.message).not.toContain('Secret');
    }
    expect(() => validateUsername('a'.repeat(63))).not.toThrow();
  });

  it('verifyLogin fails clearly for a missing role or a missing privilege, without the password', async () => {
    const password = 'Ghost-Secret-7';
    const ghost = await admin.verifyLogin(endpoint, { username: 'ghost', password }).catch((e: unknown) => e as Error);
    expect(ghost).toBeInstanceOf(DatabaseAdminError);
    expect(ghost!.message).toMatch(/SET ROLE "ghost" failed/);
    expect(`${ghost!.message}${ghost!.stack}`).not.toContain(password);

    await admin.configureUsers(endpoint, master, [{ username: 'reader', password, privileges: ['SELECT'] }]);
    const lacking = await admin
      .verifyLogin(endpoint, { username: 'reader', password, privileges: ['SELECT', 'DELETE'] } as AppUser)
      .catch((e: unknown) => e as Error);
    expect(lacking?.message).toMatch(/"reader" lacks DELETE on customers, DELETE on invoices, DELETE on orders, DELETE on refunds/);
    expect(await sessionRole()).toBe('postgres');
  });

  it('reports an unreachable server with its Node error code (retryable) and no password', async () => {
    const down = new PgDatabaseAdmin({ resolveHost: () => ({ host: '127.0.0.1', port: 1 }), connectTimeoutMs: 2_000 });
    const err = await down.configureUsers(endpoint, master, []).catch((e: unknown) => e as DatabaseAdminError);
    expect(err).toBeInstanceOf(DatabaseAdminError);
    expect(err!.code).toBe('ECONNREFUSED');
    expect(err!.message).toContain('master: connect to aurora-staging.cluster-abc.us-west-2.rds.amazonaws.com:5432/postgres failed');
    expect(err!.message).not.toContain(master.password);
  });
});
