import { join } from 'node:path';
import { Client } from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalPipeline } from '../../src/lib/local/pipeline';
import { DEFAULT_SCENARIO, EXAMPLE_HOOKS_BUCKET } from '../../src/lib/local/scenario';

/**
 * Refreshing staging from production safely, end to end through the local runtime (real handlers, dynalite,
 * the simulated Aurora, PGlite over the wire): the built-in world's customers carry personal data, the shipped
 * example hook masks it, validation queries prove it, and only then may the application users log in. A hook
 * or a validation that fails ends the operation FAILED with nobody able to log in, one notification saying the
 * database is NOT ready, and an audit trail naming the file.
 */
const FIXTURES = join(__dirname, '..', 'fixtures', 'hooks');
const scenario = { ...DEFAULT_SCENARIO, buckets: { ...DEFAULT_SCENARIO.buckets, 'test-hooks': FIXTURES } };

const open: LocalPipeline[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

async function pipeline() {
  const p = await LocalPipeline.open({ scenario });
  open.push(p);
  return p;
}

async function sql<T = Record<string, unknown>>(p: LocalPipeline, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new Client({ ...(await p.databaseAddress()), database: 'postgres', user: 'postgres' });
  await c.connect();
  try {
    return (await c.query(text, values)).rows as T[];
  } finally {
    await c.end();
  }
}

/** What a role may read, as PGlite can show it (every connection is `postgres`): SET ROLE, then the query. */
async function asRole<T>(p: LocalPipeline, role: string, text: string): Promise<T[]> {
  const c = new Client({ ...(await p.databaseAddress()), database: 'postgres', user: 'postgres' });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(`SET LOCAL ROLE "${role}"`);
    return (await c.query(text)).rows as T[];
  } finally {
    await c.query('ROLLBACK').catch(() => undefined);
    await c.end();
  }
}

async function refresh(p: LocalPipeline, overrides: Record<string, unknown> = {}) {
  const id = await p.startRestore(p.request(overrides));
  await p.runUntilTerminal([id]);
  const state = (await p.status(id))!;
  const trail = await p.audit.trail(id);
  const notes = (await p.outbox.list()).filter((m) => m.attributes.operation_id === id);
  return { id, state, trail, notes };
}

const canLogin = async (p: LocalPipeline) =>
  Object.fromEntries((await sql<{ rolname: string; rolcanlogin: boolean }>(p, `SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN ('app', 'reporting')`)).map((r) => [r.rolname, r.rolcanlogin]));

const failing = (files: unknown[], validations: unknown[] = [], onFailure = 'keep') => ({
  postRestore: { sql: { bucket: 'test-hooks', prefix: 'broken/', files }, validations, onFailure },
});

describe('post-restore SQL, validations and users', () => {
  it('masks the built-in world, proves it with the validation queries, then lets the users in: they see masked data only', async () => {
    const p = await pipeline();
    const before = await sql<{ n: string }>(p, `SELECT count(*) AS n FROM public.customers WHERE email NOT LIKE '%@example.invalid'`);
    expect(Number(before[0].n)).toBe(3);
    const { id, state, trail, notes } = await refresh(p);
    expect(state.status).toBe('SUCCEEDED');
    // the files ran in order, recorded with their SHA-256 in the state and the audit trail
    const hooks = state.restore_details.post_restore_hooks!;
    expect(hooks.map((h) => [h.file, h.outcome])).toEqual([
      ['01-mask-customers.sql', 'ran'],
      ['02-seed-test-accounts.sql', 'ran'],
    ]);
    for (const h of hooks) expect(h.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(state.restore_details.validations_passed).toEqual(['no-real-emails', 'no-phone-numbers']);
    const ran = trail.filter((l) => l.event_type === 'POST_RESTORE_SQL_RAN').map((l) => [l.details.file, l.details.sha256]);
    expect(ran).toEqual(hooks.map((h) => [h.file, h.sha256]));
    // the database's own ledger agrees
    const ledger = await sql<{ file: string; sha256: string }>(p, 'SELECT file, sha256 FROM aurora_restore.hook_ledger WHERE operation_id = $1 ORDER BY file', [id]);
    expect(ledger).toEqual(hooks.map((h) => ({ file: h.file, sha256: h.sha256 })));
    // the order of the trail: logins disabled, SQL, validations, then the users
    const types = trail.filter((l) => l.step === 'setup-db-users').map((l) => l.event_type);
    expect(types.indexOf('APP_LOGINS_DISABLED')).toBeLessThan(types.indexOf('POST_RESTORE_SQL_RAN'));
    expect(types.lastIndexOf('POST_RESTORE_SQL_RAN')).toBeLessThan(types.indexOf('VALIDATION_PASSED'));
    expect(types.at(-1)).toBe('USERS_CONFIGURED');
    // the users: app reads and writes, reporting only reads; both see masked data only
    expect(await canLogin(p)).toEqual({ app: true, reporting: true });
    for (const role of ['app', 'reporting']) {
      const rows = await asRole<{ email: string; phone: string | null }>(p, role, 'SELECT email, phone FROM public.customers');
      expect(rows.length).toBe(5);
      for (const r of rows) {
        expect(r.email).toMatch(/@example\.invalid$/);
        expect(r.phone).toBeNull();
      }
    }
    await expect(asRole(p, 'reporting', `DELETE FROM public.orders`)).rejects.toMatchObject({ code: '42501' });
    expect(notes).toHaveLength(1);
    expect(notes[0].message).toMatch(/Post-restore SQL\s+01-mask-customers\.sql ran/);
    expect(notes[0].attributes.database_ready).toBe('true');
  });

  it('a hook that fails ends FAILED (PostRestoreSqlFailed) naming the file and statement; nobody can log in; one notification says NOT ready', async () => {
    const p = await pipeline();
    // Production's roles come with the snapshot, with production's passwords and LOGIN.
    await sql(p, `CREATE ROLE app WITH LOGIN PASSWORD 'production-password'`);
    const { state, trail, notes } = await refresh(p, failing(['01-mask-customers.sql']));
    expect(state.status).toBe('FAILED');
    expect(state.error).toMatchObject({ step: 'setup-db-users', code: 'PostRestoreSqlFailed' });
    expect(state.error!.message).toMatch(/01-mask-customers\.sql statement 2 \(line 3: UPDATE public\.customers SET no_such_column = NULL\) failed: SQLSTATE 42703/);
    expect(state.error!.message).toMatch(/The database is NOT ready: no application user can log in \(app, reporting: LOGIN disabled\)/);
    expect(state.error!.message).toMatch(/aurora-staging is kept for inspection/);
    // the hook's transaction rolled back: its first statement left nothing, nor did its ledger row (nor the ledger it created)
    expect(await sql(p, `SELECT 1 FROM public.customers WHERE email NOT LIKE '%@example.invalid'`)).toHaveLength(3);
    expect(await sql(p, `SELECT to_regclass('aurora_restore.hook_ledger') AS t`)).toEqual([{ t: null }]);
    // the snapshot's app role lost LOGIN; reporting was never created
    expect(await canLogin(p)).toEqual({ app: false });
    await expect(p.deps.db.verifyLogin({ ...(await p.databaseAddress()), database: 'postgres' }, { username: 'app', password: 'production-password' })).rejects.toThrow(/NOLOGIN/);
    expect(state.restore_details.users).toBeUndefined();
    expect(trail.find((l) => l.event_type === 'POST_RESTORE_SQL_FAILED')?.details).toMatchObject({ file: '01-mask-customers.sql' });
    expect(trail.some((l) => l.event_type === 'USERS_CONFIGURED')).toBe(false);
    expect(notes).toHaveLength(1);
    expect(notes[0].subject).toMatch(/FAILED \(database NOT ready\)/);
    expect(notes[0].message).toMatch(/THE DATABASE IS NOT READY/);
    expect(notes[0].attributes.database_ready).toBe('false');
    // kept for inspection: the cluster is still there
    expect(await p.deps.rds.describeCluster('us-west-2', 'aurora-staging')).toBeDefined();
  });

  it("never reports data: a data exception's message (which quotes the value) is withheld", async () => {
    const p = await pipeline();
    const { state, trail } = await refresh(p, failing(['02-bad-cast.sql']));
    expect(state.error).toMatchObject({ code: 'PostRestoreSqlFailed' });
    expect(state.error!.message).toMatch(/02-bad-cast\.sql statement 1 \(line 2: SELECT email::integer FROM public\.customers\) failed: SQLSTATE 22P02 \(message withheld: it may quote data\)/);
    const everything = JSON.stringify({ state, trail, notes: await p.outbox.list() });
    for (const personal of ['lovelace', 'hopper', 'ewd@', '+44 20']) expect(everything).not.toContain(personal);
  });

  it('a validation that fails ends FAILED (ValidationFailed) naming it, not its value; nobody can log in; onFailure delete deletes the cluster', async () => {
    const p = await pipeline();
    const { state, trail, notes } = await refresh(p, {
      postRestore: {
        sql: { bucket: EXAMPLE_HOOKS_BUCKET, prefix: 'staging/', files: ['01-mask-customers.sql'] },
        validations: [
          { name: 'no-real-emails', sql: "SELECT count(*) FROM public.customers WHERE email NOT LIKE '%@example.invalid'", expect: 0 },
          { name: 'first-email-is-masked', sql: 'SELECT email FROM public.orders JOIN public.customers c ON c.id = customer_id ORDER BY c.id LIMIT 1', expect: 'nobody@example.invalid' },
        ],
        onFailure: 'delete',
      },
    });
    expect(state.status).toBe('FAILED');
    expect(state.error).toMatchObject({ code: 'ValidationFailed' });
    expect(state.error!.message).toMatch(/validation first-email-is-masked did not return "nobody@example.invalid": it returned 1 row\(s\) of 1 column\(s\)/);
    expect(state.error!.message).not.toContain('customer-1@example.invalid');
    expect(state.restore_details.validations_passed).toEqual(['no-real-emails']);
    expect(trail.find((l) => l.event_type === 'VALIDATION_FAILED')?.details).toMatchObject({ validation: 'first-email-is-masked' });
    expect(await canLogin(p)).toEqual({});
    expect(notes).toHaveLength(1);
    expect(notes[0].message).toMatch(/THE DATABASE IS NOT READY/);
    // onFailure delete: the restored cluster and its writer are being deleted, without a final snapshot
    expect(state.error!.message).toMatch(/restored cluster aurora-staging is being deleted \(onFailure delete; no final snapshot/);
    await p.runtime.runUntilIdle({ maxVirtualMs: 3600_000 });
    expect(await p.deps.rds.describeCluster('us-west-2', 'aurora-staging')).toBeUndefined();
  });

  it('a missing hook file fails before any SQL runs, naming the object', async () => {
    const p = await pipeline();
    const { state } = await refresh(p, failing(['99-not-there.sql']));
    expect(state.error).toMatchObject({ code: 'PostRestoreSqlFailed' });
    expect(state.error!.message).toMatch(/post-restore SQL s3:\/\/test-hooks\/broken\/99-not-there\.sql does not exist/);
  });

  it('refuses SQL from a bucket outside HOOK_SOURCES before anything is copied', async () => {
    const p = await pipeline();
    const { state } = await refresh(p, { postRestore: { sql: { bucket: 'somebody-elses-bucket', files: ['x.sql'] } } });
    expect(state.error).toMatchObject({ step: 'snapshot-check', code: 'InvalidRequest' });
    expect(state.error!.message).toMatch(/postRestore\.sql: s3:\/\/somebody-elses-bucket\/ is not under HOOK_SOURCES/);
    expect(p.rds.calls.CopyDBClusterSnapshot).toBe(0);
  });
});
