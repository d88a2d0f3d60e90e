/**
 * Whole refreshes through the local runtime with a REAL PostgreSQL server standing in for the restored
 * cluster (instead of PGlite): passwords and LOGIN are really checked there, so "no application user can log
 * in" is proven by real login attempts. RDS's ModifyDBCluster MasterUserPassword really changes the master
 * role's password (as RDS applies it). Runs when AURORA_RESTORE_PG_URL names a superuser connection (CI starts
 * one with `eval "$(bash scripts/ci-postgres.sh)"`), and skips otherwise.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client, escapeIdentifier, escapeLiteral } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalPipeline } from '../../src/lib/local/pipeline';
import { DEMO_SCHEMA_SQL } from '../../src/lib/local/pglite';
import { DEFAULT_SCENARIO, EXAMPLE_HOOKS_BUCKET } from '../../src/lib/local/scenario';
import { DEFAULT_APP_SECRET, DEFAULT_MASTER_SECRET } from '../../src/lib/local/secrets';

const url = process.env.AURORA_RESTORE_PG_URL;

describe.skipIf(!url)('refreshes against a real PostgreSQL server', () => {
  const run = randomBytes(4).toString('hex');
  const roles = { master: `master_${run}`, app: `app_${run}`, reporting: `reporting_${run}` };
  const passwords = { master: randomBytes(12).toString('hex'), app: randomBytes(12).toString('hex'), reporting: randomBytes(12).toString('hex') };
  let server: { host: string; port: number; database: string; user: string; password: string };
  let databaseCounter = 0;
  const databases: string[] = [];

  async function withClient<T>(creds: { user: string; password: string }, database: string, fn: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ host: server.host, port: server.port, database, user: creds.user, password: creds.password });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }
  const asSuperuser = <T>(fn: (c: Client) => Promise<T>, database = server.database) => withClient(server, database, fn);

  /** A real login attempt: resolves with the rows the query returns, or rejects with the server's error. */
  const loginAndQuery = (user: string, password: string, database: string, text: string) => withClient({ user, password }, database, (c) => c.query(text).then((r) => r.rows));

  beforeAll(async () => {
    const u = new URL(url!);
    server = { host: u.hostname, port: Number(u.port || 5432), database: decodeURIComponent(u.pathname.slice(1)) || 'postgres', user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
    // The "master user" of the simulated cluster: not a superuser (rds_superuser is not one either), it can create roles.
    await asSuperuser((c) => c.query(`CREATE ROLE ${escapeIdentifier(roles.master)} WITH LOGIN CREATEROLE PASSWORD ${escapeLiteral(passwords.master)}`));
    // Production's application role comes with the snapshot, with LOGIN and production's password.
    await asSuperuser((c) => c.query(`CREATE ROLE ${escapeIdentifier(roles.app)} WITH LOGIN PASSWORD 'production-password'`));
  });

  afterAll(async () => {
    if (!server) return;
    await asSuperuser(async (c) => {
      for (const d of databases) await c.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(d)} WITH (FORCE)`);
      for (const r of [roles.app, roles.reporting, roles.master]) await c.query(`DROP ROLE IF EXISTS ${escapeIdentifier(r)}`);
    });
  });

  /** A fresh "restored database" with the built-in world's personal data, owned by the master user; and a pipeline over it. */
  async function refreshWorld() {
    const database = `aurora_restore_refresh_${run}_${++databaseCounter}`;
    databases.push(database);
    // An earlier refresh rotated the master password: each world starts from the snapshot's.
    await asSuperuser((c) => c.query(`ALTER ROLE ${escapeIdentifier(roles.master)} WITH PASSWORD ${escapeLiteral(passwords.master)}`));
    await asSuperuser((c) => c.query(`CREATE DATABASE ${escapeIdentifier(database)} OWNER ${escapeIdentifier(roles.master)}`));
    await withClient({ user: roles.master, password: passwords.master }, database, (c) => c.query(DEMO_SCHEMA_SQL));
    // The snapshot's app role may log in to this database as it could in production.
    await asSuperuser((c) => c.query(`ALTER ROLE ${escapeIdentifier(roles.app)} WITH LOGIN PASSWORD 'production-password'`));
    const p = await LocalPipeline.open({
      scenario: { ...DEFAULT_SCENARIO, buckets: { ...DEFAULT_SCENARIO.buckets, 'test-hooks': join(__dirname, '..', 'fixtures', 'hooks') } },
      database: {
        host: server.host,
        port: server.port,
        applyMasterPassword: (password) => asSuperuser((c) => c.query(`ALTER ROLE ${escapeIdentifier(roles.master)} WITH PASSWORD ${escapeLiteral(password)}`)).then(() => undefined),
      },
    });
    await p.deps.secrets.putJson(DEFAULT_MASTER_SECRET, { username: roles.master, password: passwords.master });
    await p.deps.secrets.putJson(DEFAULT_APP_SECRET, { username: roles.app, password: passwords.app });
    await p.deps.secrets.putJson('aurora-restore/app/reporting', { username: roles.reporting, password: passwords.reporting });
    const users = [
      { secret: DEFAULT_APP_SECRET, role: 'readwrite', database },
      { secret: 'aurora-restore/app/reporting', role: 'readonly', database },
    ];
    const refresh = async (postRestore: Record<string, unknown>) => {
      const id = await p.startRestore(p.request({ users, postRestore: { database, ...postRestore } }));
      await p.runUntilTerminal([id]);
      return { state: (await p.status(id))!, trail: await p.audit.trail(id), notes: (await p.outbox.list()).filter((m) => m.attributes.operation_id === id) };
    };
    return { p, database, refresh };
  }

  const masking = { sql: { bucket: EXAMPLE_HOOKS_BUCKET, prefix: 'staging/', files: ['01-mask-customers.sql'] }, validations: [{ name: 'no-real-emails', sql: "SELECT count(*) FROM public.customers WHERE email NOT LIKE '%@example.invalid'", expect: 0 }] };

  it('masks, validates, then the app users log in for real and see masked data only', async () => {
    const { p, database, refresh } = await refreshWorld();
    try {
      const { state, notes } = await refresh(masking);
      expect(state.status).toBe('SUCCEEDED');
      expect(state.restore_details.post_restore_hooks?.map((h) => h.file)).toEqual(['01-mask-customers.sql']);
      for (const [user, password] of [[roles.app, passwords.app], [roles.reporting, passwords.reporting]]) {
        const rows = await loginAndQuery(user, password, database, 'SELECT email, phone FROM public.customers');
        expect(rows).toHaveLength(3);
        for (const r of rows) expect(r).toMatchObject({ email: expect.stringMatching(/@example\.invalid$/), phone: null });
      }
      // the production password no longer works; reporting may not write
      await expect(loginAndQuery(roles.app, 'production-password', database, 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
      await expect(loginAndQuery(roles.reporting, passwords.reporting, database, 'DELETE FROM public.orders')).rejects.toMatchObject({ code: '42501' });
      expect(notes).toHaveLength(1);
    } finally {
      await p.close();
    }
  });

  for (const [what, postRestore, code] of [
    ['a hook that fails', { sql: { bucket: 'test-hooks', prefix: 'broken/', files: ['01-mask-customers.sql'] } }, 'PostRestoreSqlFailed'],
    ['a validation that fails', { ...masking, validations: [{ name: 'impossible', sql: 'SELECT count(*) FROM public.customers', expect: 0 }] }, 'ValidationFailed'],
  ] as const) {
    it(`${what}: FAILED (${code}), and a real login as any app user is refused — with the production password or any other`, async () => {
      const { p, database, refresh } = await refreshWorld();
      try {
        const { state, trail, notes } = await refresh(postRestore);
        expect(state.status).toBe('FAILED');
        expect(state.error?.code).toBe(code);
        // The snapshot's role lost LOGIN: the server refuses the login itself ("role … is not permitted to log in").
        await expect(loginAndQuery(roles.app, 'production-password', database, 'SELECT 1')).rejects.toMatchObject({ code: '28000' });
        await expect(loginAndQuery(roles.app, passwords.app, database, 'SELECT 1')).rejects.toMatchObject({ code: expect.stringMatching(/^28/) });
        // reporting: not created by this refresh (28P01), or — made by an earlier refresh on this server — its LOGIN disabled (28000)
        await expect(loginAndQuery(roles.reporting, passwords.reporting, database, 'SELECT 1')).rejects.toMatchObject({ code: expect.stringMatching(/^28/) });
        expect(notes).toHaveLength(1);
        expect(notes[0].message).toMatch(/THE DATABASE IS NOT READY/);
        const named = trail.find((l) => l.event_type === (code === 'ValidationFailed' ? 'VALIDATION_FAILED' : 'POST_RESTORE_SQL_FAILED'));
        expect(named?.details).toMatchObject(code === 'ValidationFailed' ? { validation: 'impossible' } : { file: '01-mask-customers.sql' });
      } finally {
        await p.close();
      }
    });
  }
});
