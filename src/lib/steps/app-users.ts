/**
 * The application users of a refresh, read from Secrets Manager before anything changes on the cluster.
 * Without `users` in the request: the one in APP_SECRET_NAME, with the privileges it lists, on schema public
 * (the behaviour before several users existed). With it: each named secret holds one user
 * (`{username, password}`) or several (`[...]` or `{users: [...]}`), given the request's role on its schemas
 * and database. Errors name the secret and the field, never a value.
 */
import * as z from '../../schemas/zod';
import { privilegesOf, type AppUserGrant } from '../../schemas/refresh-settings';
import { describeIssues } from '../../schemas/restore-request';
import { PipelineError } from '../errors';
import type { AppUser } from '../ports';
import type { StepContext } from '../step-runner';

export interface ResolvedUser {
  user: AppUser;
  database: string;
  /** How the privileges were given, for the audit trail. */
  role: string;
}

const name = z.string().check(z.minLength(1), z.maxLength(63));
const credentials = z.object({ username: name, password: z.string().check(z.minLength(8)) });
const legacyApp = z.extend(credentials, {
  database: z._default(name, 'postgres'),
  privileges: z._default(z.array(z.enum(['SELECT', 'INSERT', 'UPDATE', 'DELETE'])), ['SELECT', 'INSERT', 'UPDATE', 'DELETE']),
});
const userList = z.union([
  z.array(credentials).check(z.minLength(1)),
  z.pipe(
    z.object({ users: z.array(credentials).check(z.minLength(1)) }),
    z.transform((o: { users: { username: string; password: string }[] }) => o.users),
  ),
  z.pipe(
    credentials,
    z.transform((c: { username: string; password: string }) => [c]),
  ),
]);

export async function readAppUsers(ctx: StepContext): Promise<ResolvedUser[]> {
  const { deps } = ctx;
  const grants = ctx.state.parameters.app_users;
  const read = async <T>(name: string, schema: z.ZodMiniType<T>): Promise<T> => {
    const raw = await ctx.retry(() => deps.secrets.getJson(name));
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new PipelineError('SecretNotFound', `secret ${name} is not as expected: ${describeIssues(parsed.error)}`);
    return parsed.data;
  };
  if (!grants) {
    const app = await read(deps.config.APP_SECRET_NAME, legacyApp);
    return [{ user: { username: app.username, password: app.password, privileges: app.privileges, schemas: ['public'] }, database: app.database, role: app.privileges.join('+') }];
  }
  const out: ResolvedUser[] = [];
  for (const g of grants as AppUserGrant[]) {
    for (const c of await read(g.secret, userList)) {
      if (out.some((u) => u.user.username === c.username)) throw new PipelineError('UserSetupFailed', `user ${c.username} is named twice (again in secret ${g.secret})`);
      out.push({ user: { username: c.username, password: c.password, privileges: privilegesOf(g.role), schemas: g.schemas }, database: g.database, role: typeof g.role === 'string' ? g.role : g.role.privileges.join('+') });
    }
  }
  return out;
}
