import { randomBytes } from 'node:crypto';
import * as z from '../../schemas/zod';
import { describeIssues } from '../../schemas/restore-request';
import { PipelineError, classifyError } from '../errors';
import type { AppUser, DbCredentials, DbEndpoint } from '../ports';
import type { Step, StepContext, StepResult } from '../step-runner';
import { endpointAfterRename, masterSecretName } from './names';

const name = z.string().check(z.minLength(1), z.maxLength(63));
const masterCredentials = z.object({ username: name, password: z.string().check(z.minLength(8)) });
const appCredentials = z.object({
  username: name,
  password: z.string().check(z.minLength(8)),
  database: z._default(name, 'postgres'),
  privileges: z._default(z.array(z.enum(['SELECT', 'INSERT', 'UPDATE', 'DELETE'])), ['SELECT', 'INSERT', 'UPDATE', 'DELETE']),
});

/** RDS master passwords: printable ASCII except / " @ and space; alphanumerics are always safe. */
export function newMasterPassword(): string {
  return randomBytes(24).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 28).padEnd(28, 'x');
}

async function readSecret<T>(ctx: StepContext, name: string, schema: z.ZodMiniType<T>): Promise<T> {
  const raw = await ctx.retry(() => ctx.deps.secrets.getJson(name));
  const parsed = schema.safeParse(raw);
  // The issues name fields only; a secret's values never reach an error message.
  if (!parsed.success) throw new PipelineError('SecretNotFound', `secret ${name} is not as expected: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/**
 * setup-db-users: the restored cluster keeps the source's master password, so it is rotated first
 * (stored in Secrets Manager BEFORE it is applied, so it is never lost), then the application users are
 * created or updated with quoted SQL, and a login as the app user proves it worked.
 */
export const setupDbUsers: Step = {
  name: 'setup-db-users',
  mode: 'action',
  triggers: ['ClusterAvailable'],

  async run(ctx): Promise<StepResult> {
    const { state, deps } = ctx;
    const region = state.parameters.target_region;
    const r = state.restore_details;
    if (!r.cluster_id || !r.writer_endpoint) throw new Error('restore details missing: check-restore-status has not recorded them');
    const master = await readSecret(ctx, deps.config.MASTER_SECRET_NAME, masterCredentials);
    const app = await readSecret(ctx, deps.config.APP_SECRET_NAME, appCredentials);

    const rotated: DbCredentials = { username: master.username, password: newMasterPassword() };
    // The secret describes the cluster applications will use: under the target's name (a swap renames the new
    // cluster to it, and "When you change the DB cluster identifier, the DB cluster endpoints change").
    const target = state.parameters.target_cluster_id;
    const secretName = masterSecretName(target);
    await ctx.retry(() =>
      deps.secrets.putJson(secretName, {
        username: rotated.username,
        password: rotated.password,
        engine: state.snapshot_details.engine,
        host: endpointAfterRename(r.writer_endpoint!, target),
        port: r.port ?? 5432,
        dbClusterIdentifier: target,
      }),
    );
    await ctx.retry(() => deps.rds.modifyClusterMasterPassword(region, r.cluster_id!, rotated.password));

    const endpoint: DbEndpoint = { host: r.writer_endpoint, port: r.port ?? 5432, database: app.database };
    const users: AppUser[] = [{ username: app.username, password: app.password, privileges: app.privileges }];
    try {
      // RDS applies a new master password a few seconds after ModifyDBCluster returns: until then the
      // login fails with 28P01 (invalid password), which here means "not yet", so it is retried.
      await ctx.retry(() =>
        deps.db.configureUsers(endpoint, rotated, users).catch((e) => {
          if ((e as { code?: string }).code === '28P01') throw new PipelineError('TransientFault', 'the rotated master password is not applied yet', true);
          throw e;
        }),
      );
      await ctx.retry(() => deps.db.verifyLogin(endpoint, users[0]));
    } catch (e) {
      const c = classifyError(e);
      throw new PipelineError(c.code === 'InternalError' ? 'UserSetupFailed' : c.code, `setting up users on ${r.cluster_id} failed: ${c.message}`, c.retryable);
    }
    return {
      kind: 'done',
      event: ctx.event('UsersConfigured', { users: users.map((u) => u.username), masterSecretName: secretName, strategy: state.parameters.strategy ?? 'replace' }),
      status: 'USERS_CONFIGURED',
      next: 'archive-snapshot',
      patch: { restore_details: { master_secret_name: secretName, users: users.map((u) => u.username) } },
      audit: { type: 'USERS_CONFIGURED', details: { users: users.map((u) => u.username), master_credentials_rotated: true, master_secret_name: secretName } },
    };
  },
};
