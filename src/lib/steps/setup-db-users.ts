import { randomBytes } from 'node:crypto';
import * as z from '../../schemas/zod';
import { describeIssues } from '../../schemas/restore-request';
import { PipelineError, classifyError } from '../errors';
import type { DbCredentials, DbEndpoint } from '../ports';
import type { Step, StepContext, StepResult } from '../step-runner';
import { readAppUsers, type ResolvedUser } from './app-users';
import { endpointAfterRename, masterSecretName } from './names';
import { PostRestoreFailure, runPostRestore } from './post-restore';

const masterCredentials = z.object({ username: z.string().check(z.minLength(1), z.maxLength(63)), password: z.string().check(z.minLength(8)) });

/** RDS master passwords: printable ASCII except / " @ and space; alphanumerics are always safe. */
export function newMasterPassword(): string {
  return randomBytes(24).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 28).padEnd(28, 'x');
}

export async function readSecret<T>(ctx: StepContext, name: string, schema: z.ZodMiniType<T>): Promise<T> {
  const raw = await ctx.retry(() => ctx.deps.secrets.getJson(name));
  const parsed = schema.safeParse(raw);
  // The issues name fields only; a secret's values never reach an error message.
  if (!parsed.success) throw new PipelineError('SecretNotFound', `secret ${name} is not as expected: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** RDS applies a new master password a few seconds after ModifyDBCluster returns: until then a login fails with 28P01, which here means "not yet". */
async function asMaster<T>(ctx: StepContext, fn: () => Promise<T>): Promise<T> {
  return ctx.retry(() =>
    fn().catch((e) => {
      if ((e as { code?: string }).code === '28P01') throw new PipelineError('TransientFault', 'the rotated master password is not applied yet', true);
      throw e;
    }),
  );
}

/**
 * setup-db-users, fail closed. In order, on the restored cluster:
 * 1. the master password (the source's) is rotated — stored in Secrets Manager BEFORE it is applied;
 * 2. with post-restore SQL: no application user can log in — those that came with the snapshot lose LOGIN
 *    (and their sessions); then the post-restore SQL files run, each in its own transaction with its ledger row, then the validation
 *    queries — a failure ends the operation FAILED (PostRestoreSqlFailed / ValidationFailed) with no user
 *    able to log in (src/lib/steps/post-restore.ts);
 * 4. only then are the application users created or updated (LOGIN, password, grants, quoted SQL), and a
 *    login as each proves it.
 * A redelivery repeats 1, 2 and 4 (idempotent) and skips the SQL files the ledger says already ran.
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
    // Read before anything changes: a missing or malformed user secret fails the refresh before any SQL runs.
    const users = await readAppUsers(ctx);

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

    const post = state.parameters.post_restore;
    const endpointOf = (database: string): DbEndpoint => ({ host: r.writer_endpoint!, port: r.port ?? 5432, database });
    const adminDatabase = post?.database ?? users[0]?.database ?? 'postgres';
    const usernames = users.map((u) => u.user.username);
    let hooks: Awaited<ReturnType<typeof runPostRestore>> | undefined;
    try {
      if (post) {
        // Before any SQL: the snapshot's roles (production's passwords) and those of an earlier attempt lose LOGIN.
        const disabled = await asMaster(ctx, () => deps.db.disableLogins(endpointOf(adminDatabase), rotated, usernames));
        await ctx.audit.record({ operationId: state.operation_id, at: deps.clock.now(), step: 'setup-db-users', type: 'APP_LOGINS_DISABLED', status: 'INFO', details: { users: usernames, existed: disabled } });
        hooks = await runPostRestore(ctx, endpointOf(post.database), rotated, post, (fn) => asMaster(ctx, fn));
      }
      for (const database of [...new Set(users.map((u) => u.database))]) {
        await asMaster(ctx, () => deps.db.configureUsers(endpointOf(database), rotated, users.filter((u) => u.database === database).map((u) => u.user)));
      }
      for (const u of users) await ctx.retry(() => deps.db.verifyLogin(endpointOf(u.database), u.user));
    } catch (e) {
      if (e instanceof PostRestoreFailure) return failClosed(ctx, e, usernames);
      // What is not a database's or the pipeline's answer (a dying function) goes back to SQS as it is.
      if (!(e instanceof PipelineError) && typeof (e as { code?: unknown })?.code !== 'string') throw e;
      const c = classifyError(e);
      throw new PipelineError(c.code === 'InternalError' ? 'UserSetupFailed' : c.code, `setting up users on ${r.cluster_id} failed: ${c.message}`, c.retryable);
    }
    const names = users.map((u) => u.user.username);
    return {
      kind: 'done',
      event: ctx.event('UsersConfigured', {
        users: names,
        masterSecretName: secretName,
        strategy: state.parameters.strategy ?? 'replace',
        ...(hooks ? { postRestoreSql: hooks.files.map((h) => ({ file: h.file, outcome: h.outcome, sha256: h.sha256 })), validationsPassed: hooks.validations } : {}),
      }),
      status: 'USERS_CONFIGURED',
      next: 'archive-snapshot',
      patch: { restore_details: { master_secret_name: secretName, users: names } },
      audit: {
        type: 'USERS_CONFIGURED',
        details: {
          users: users.map(describeUser),
          master_credentials_rotated: true,
          master_secret_name: secretName,
          ...(hooks ? { post_restore_sql: hooks.files.map((h) => `${h.file} ${h.outcome} (sha256 ${h.sha256})`), validations_passed: hooks.validations } : {}),
        },
      },
    };
  },
};

const describeUser = (u: ResolvedUser) => `${u.user.username} (${u.role} on ${u.database}: ${(u.user.schemas ?? ['public']).join(', ')})`;

/** A hook or validation failed: the operation ends FAILED, and no application user was given LOGIN. */
function failClosed(ctx: StepContext, e: PostRestoreFailure, usernames: string[]): StepResult {
  return {
    kind: 'failed',
    code: e.code,
    message: `${e.message}. The database is NOT ready: no application user can log in${usernames.length ? ` (${usernames.join(', ')}: LOGIN disabled)` : ''}.`,
  };
}
