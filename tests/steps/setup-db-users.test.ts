import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabaseAdmin } from '../../src/lib/db-admin';
import type { LocalDynamo } from '../../src/lib/local/dynalite';
import { seedDemoSchema, startLocalPostgres, type LocalPostgres } from '../../src/lib/local/pglite';
import { DEFAULT_APP_SECRET, DEFAULT_MASTER_SECRET } from '../../src/lib/local/secrets';
import { masterSecretName } from '../../src/lib/steps/names';
import { SAME_REGION, TestWorld, startTables } from './context';

let dynamo: LocalDynamo;
let pg: LocalPostgres;
beforeAll(async () => {
  [dynamo, pg] = await Promise.all([startTables(), startLocalPostgres()]);
  await seedDemoSchema(pg.pglite);
});
afterAll(async () => {
  await Promise.all([dynamo?.stop(), pg?.stop()]);
});

const world = () => TestWorld.create(dynamo, { db: new PgDatabaseAdmin({ resolveHost: () => ({ host: pg.host, port: pg.port }) }) });

/** An operation whose restored cluster `restored` is available, with ClusterAvailable as the trigger. */
async function available(w: TestWorld) {
  const { id } = await w.request(SAME_REGION);
  const trigger = await w.advance(id, 'setup-db-users');
  return { id, trigger };
}

const passwordChanges = (w: TestWorld) => w.sim.toJSON().world.regions['us-east-1'].clusters.restored.masterPasswordChanges;

async function everythingRecorded(w: TestWorld, id: string): Promise<string> {
  return JSON.stringify([w.envelopes(), await w.store.get(id), await w.audit.trail(id), w.sim.toJSON(), await w.outbox.list()]);
}

describe('setup-db-users', () => {
  it('rotates the master password into the cluster secret, creates the app user with its grants, proves the login', async () => {
    const w = await world();
    await w.secrets.putJson(DEFAULT_APP_SECRET, { username: 'report reader', password: 'app-password-1234', privileges: ['SELECT'] });
    const { id, trigger } = await available(w);
    await w.run('setup-db-users', trigger);

    const [configured] = w.publishedOf(id, 'UsersConfigured');
    expect(configured.detail).toMatchObject({ users: ['report reader'], masterSecretName: 'aurora-restore/clusters/restored/master' });
    expect(w.sim.calls.ModifyDBCluster).toBe(1);
    expect(passwordChanges(w)).toBe(1);

    const state = await w.state(id);
    const secret = (await w.secrets.getJson(masterSecretName('restored'))) as Record<string, unknown>;
    const original = (await w.secrets.getJson(DEFAULT_MASTER_SECRET)) as { username: string; password: string };
    expect(secret).toMatchObject({ username: original.username, host: state.restore_details.writer_endpoint, port: 5432, dbClusterIdentifier: 'restored', engine: 'aurora-postgresql' });
    expect(secret.password).toMatch(/^[A-Za-z0-9]{28}$/);
    expect(secret.password).not.toBe(original.password);

    // The role exists with exactly the secret's privileges, and can act as itself (quoted identifier).
    const privileges = await pg.pglite.query<{ s: boolean; i: boolean }>(
      `SELECT has_table_privilege('report reader', 'public.orders', 'SELECT') AS s, has_table_privilege('report reader', 'public.orders', 'INSERT') AS i`,
    );
    expect(privileges.rows[0]).toEqual({ s: true, i: false });
    const asUser = await pg.pglite.transaction(async (tx) => {
      await tx.exec('SET LOCAL ROLE "report reader"');
      const r = await tx.query<{ who: string; n: number }>('SELECT current_user AS who, count(*)::int AS n FROM public.orders');
      await tx.rollback();
      return r.rows[0];
    });
    expect(asUser).toEqual({ who: 'report reader', n: 3 });

    // No password anywhere the pipeline writes: events, state, audit, the simulated RDS, the outbox.
    const recorded = await everythingRecorded(w, id);
    expect(recorded).not.toContain(secret.password as string);
    expect(recorded).not.toContain('app-password-1234');
    expect(recorded).not.toContain(original.password);
  });

  it('stores the new master password BEFORE applying it: a failed ModifyDBCluster leaves the secret, and the message is retried', async () => {
    const w = await world();
    const { id, trigger } = await available(w);
    w.editWorld((world) => {
      world.regions['us-east-1'].clusters.restored.status = 'modifying'; // RDS refuses the change for now
    });
    await expect(w.run('setup-db-users', trigger)).rejects.toMatchObject({ name: 'InvalidDBClusterStateFault' });

    expect(w.sim.calls.ModifyDBCluster).toBe(1);
    expect(passwordChanges(w)).toBe(0);
    const secret = (await w.secrets.getJson(masterSecretName('restored'))) as { password: string };
    expect(secret.password).toMatch(/^[A-Za-z0-9]{28}$/);
    expect(w.publishedOf(id, 'RestoreFailed')).toHaveLength(0);
    expect((await w.state(id)).steps['setup-db-users']).toMatchObject({ status: 'RUNNING', attempts: 1 });
  });

  it('a missing secret → SecretNotFound naming the secret, never a value', async () => {
    const w = await TestWorld.create(dynamo, {
      db: new PgDatabaseAdmin({ resolveHost: () => ({ host: pg.host, port: pg.port }) }),
      env: { APP_SECRET_NAME: 'aurora-restore/no-such-app-secret' },
    });
    const { id, trigger } = await available(w);
    await w.run('setup-db-users', trigger);
    const [failed] = w.publishedOf(id, 'RestoreFailed');
    expect(failed.detail).toMatchObject({ step: 'setup-db-users', code: 'SecretNotFound', retryable: false });
    expect(failed.detail.message).toContain('aurora-restore/no-such-app-secret');
    const master = (await w.secrets.getJson(DEFAULT_MASTER_SECRET)) as { password: string };
    expect(await everythingRecorded(w, id)).not.toContain(master.password);
    expect(w.sim.calls.ModifyDBCluster).toBe(0);
  });

  it('a malformed secret → an error naming the field, never the value', async () => {
    const w = await world();
    await w.secrets.putJson(DEFAULT_APP_SECRET, { username: 'app', password: 'tiny', privileges: ['SELECT', 'TRUNCATE-ALL-THE-THINGS'] });
    const { id } = await available(w);
    const r = await w.decide('setup-db-users', id).catch((e: Error) => e);
    expect(r).toBeInstanceOf(Error);
    const message = (r as Error).message;
    expect(message).toContain(`secret ${DEFAULT_APP_SECRET} is not as expected`);
    expect(message).toContain('password:');
    expect(message).toContain('privileges.1:');
    expect(message).not.toContain('tiny');
    expect(message).not.toContain('TRUNCATE-ALL-THE-THINGS');
    expect(w.sim.calls.ModifyDBCluster).toBe(0);
  });

  it('a malformed master secret names its missing field', async () => {
    const w = await world();
    await w.secrets.putJson(DEFAULT_MASTER_SECRET, { user: 'postgres', password: 'a-long-master-password' });
    const { id, trigger } = await available(w);
    await w.run('setup-db-users', trigger);
    const [failed] = w.publishedOf(id, 'RestoreFailed');
    expect(failed.detail.code).toBe('SecretNotFound');
    expect(failed.detail.message).toContain('username:');
    expect(failed.detail.message).not.toContain('a-long-master-password');
  });

  it('retries the first logins while RDS has not applied the rotated password yet (28P01), then succeeds', async () => {
    const real = new PgDatabaseAdmin({ resolveHost: () => ({ host: pg.host, port: pg.port }) });
    let refusals = 2;
    // RDS applies ModifyDBCluster's password a few seconds late: the first logins are refused as on AWS.
    const lagging = Object.assign(Object.create(real) as PgDatabaseAdmin, {
      configureUsers: async (...args: Parameters<PgDatabaseAdmin['configureUsers']>) => {
        if (refusals-- > 0) throw Object.assign(new Error('password authentication failed for user "postgres"'), { code: '28P01' });
        return real.configureUsers(...args);
      },
    });
    const w = await TestWorld.create(dynamo, { db: lagging });
    const { id, trigger } = await available(w);
    await w.run('setup-db-users', trigger);
    expect(w.publishedOf(id, 'UsersConfigured')).toHaveLength(1);
    expect((await w.state(id)).metrics.retry_count).toBe(2);
  });
});
