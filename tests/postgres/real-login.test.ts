/**
 * PgDatabaseAdmin against a REAL PostgreSQL server: passwords are really checked there (PGlite accepts
 * any). Runs when AURORA_RESTORE_PG_URL names a superuser connection (CI starts one with
 * `eval "$(bash scripts/ci-postgres.sh)"`), and skips otherwise.
 */
import { randomBytes } from 'node:crypto';
import { Client, escapeIdentifier } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseAdminError, PgDatabaseAdmin } from '../../src/lib/db-admin';
import type { AppUser, DbCredentials, DbEndpoint } from '../../src/lib/ports';

const url = process.env.AURORA_RESTORE_PG_URL;

describe.skipIf(!url)('PgDatabaseAdmin on a real PostgreSQL server', () => {
  const run = randomBytes(4).toString('hex');
  const database = `aurora_restore_test_${run}`;
  let server: DbEndpoint;
  let endpoint: DbEndpoint;
  let master: DbCredentials;
  const admin = new PgDatabaseAdmin({ connectTimeoutMs: 5_000 });
  const createdRoles = new Set<string>();

  /** A role name unique to this run, so reruns against the same server do not collide. */
  const role = (name: string) => {
    const r = `${name}_${run}`;
    createdRoles.add(r);
    return r;
  };

  async function withClient<T>(creds: DbCredentials, db: string, fn: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ host: server.host, port: server.port, database: db, user: creds.username, password: creds.password });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }
  const asMaster = <T>(fn: (c: Client) => Promise<T>) => withClient(master, database, fn);

  beforeAll(async () => {
    const u = new URL(url!);
    master = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
    server = { host: u.hostname, port: Number(u.port || 5432), database: decodeURIComponent(u.pathname.slice(1)) || 'postgres' };
    endpoint = { ...server, database };
    await withClient(master, server.database, (c) => c.query(`CREATE DATABASE ${escapeIdentifier(database)}`));
    await asMaster((c) =>
      c.query(`CREATE TABLE public.orders (id int PRIMARY KEY, customer text NOT NULL);
               INSERT INTO public.orders VALUES (1, 'Ada'), (2, 'Grace');`),
    );
  });

  afterAll(async () => {
    if (!master) return;
    // Dropping the database removes the roles' grants and default privileges; then the roles can go.
    await withClient(master, server.database, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(database)} WITH (FORCE)`);
      for (const r of createdRoles) await c.query(`DROP ROLE IF EXISTS ${escapeIdentifier(r)}`);
    });
  });

  it('creates users that really log in with their password and hold exactly their grants', async () => {
    const app: AppUser = { username: role('app'), password: randomBytes(12).toString('base64url'), privileges: ['SELECT'] };
    await admin.configureUsers(endpoint, master, [app]);
    await admin.verifyLogin(endpoint, app);

    await withClient(app, database, async (c) => {
      expect((await c.query('SELECT current_user AS u')).rows[0].u).toBe(app.username);
      expect((await c.query('SELECT count(*)::int AS n FROM public.orders')).rows[0].n).toBe(2);
      await expect(c.query(`INSERT INTO public.orders VALUES (3, 'Edsger')`)).rejects.toMatchObject({ code: '42501' });
    });
    const attrs = await asMaster((c) => c.query('SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = $1', [app.username]));
    expect(attrs.rows).toEqual([{ rolcanlogin: true, rolsuper: false }]);
  });

  it('rejects a wrong password for real, with the SQLSTATE and without either password', async () => {
    const password = randomBytes(12).toString('base64url');
    const username = role('locked');
    await admin.configureUsers(endpoint, master, [{ username, password, privileges: ['SELECT'] }]);
    const wrong = `${password}-wrong`;
    const err = await admin.verifyLogin(endpoint, { username, password: wrong }).then(
      () => undefined,
      (e: unknown) => e as DatabaseAdminError,
    );
    expect(err).toBeInstanceOf(DatabaseAdminError);
    expect(err?.code).toBe('28P01');
    expect(err?.message).toContain(`password authentication failed for user "${username}"`);
    expect(`${err?.message}${err?.stack}${JSON.stringify(err)}`).not.toContain(password);
  });

  it('rotates a password on a rerun: the old one stops working, the new one works', async () => {
    const username = role('rotated');
    const before = randomBytes(12).toString('base64url');
    const after = randomBytes(12).toString('base64url');
    await admin.configureUsers(endpoint, master, [{ username, password: before, privileges: ['SELECT', 'INSERT'] }]);
    await admin.configureUsers(endpoint, master, [{ username, password: after, privileges: ['SELECT', 'INSERT'] }]);
    await admin.verifyLogin(endpoint, { username, password: after, privileges: ['SELECT', 'INSERT'] } as AppUser);
    await expect(admin.verifyLogin(endpoint, { username, password: before })).rejects.toMatchObject({ code: '28P01' });
  });

  it('quotes hostile and unicode identifiers: the role name round-trips exactly and logs in', async () => {
    const users: AppUser[] = [
      `x"; DROP TABLE public.orders; --`,
      `o'brien "the" \\ admin`,
      'Ünïcødé 用户',
      'MixedCase',
    ].map((name, i) => ({
      username: role(name.slice(0, 40)),
      password: `p'w"${i}\\; DROP ROLE postgres; --ü`,
      privileges: ['SELECT'],
    }));
    await admin.configureUsers(endpoint, master, users);
    for (const u of users) {
      const found = await asMaster((c) => c.query('SELECT rolname FROM pg_roles WHERE rolname = $1', [u.username]));
      expect(found.rows).toEqual([{ rolname: u.username }]);
      await admin.verifyLogin(endpoint, u);
      await withClient(u, database, async (c) => {
        expect((await c.query('SELECT current_user AS u')).rows[0].u).toBe(u.username);
      });
    }
    expect((await asMaster((c) => c.query('SELECT count(*)::int AS n FROM public.orders'))).rows[0].n).toBe(2);
    expect((await asMaster((c) => c.query(`SELECT count(*)::int AS n FROM pg_roles WHERE rolname = 'postgres'`))).rows[0].n).toBe(1);
  });
});
