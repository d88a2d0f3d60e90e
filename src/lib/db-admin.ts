/**
 * `DatabaseAdmin` over the PostgreSQL wire protocol with `pg`: the same code sets up an Aurora PostgreSQL
 * cluster and the local PGlite server (or a real PostgreSQL in tests). By concept: src/lib/db/session.ts
 * (connections, safe errors), users.ts (roles, grants, logins), hooks.ts (post-restore SQL, its ledger,
 * validation queries).
 *
 * @example
 * const admin = new PgDatabaseAdmin({ ssl: { rejectUnauthorized: true } });
 * await admin.disableLogins(endpoint, master, ['app']);
 * await admin.runHook(endpoint, master, hook);
 * await admin.configureUsers(endpoint, master, [{ username: 'app', password, privileges: ['SELECT'] }]);
 * await admin.verifyLogin(endpoint, { username: 'app', password });
 */
import type { ValidationQuery } from '../schemas/refresh-settings';
import * as hooks from './db/hooks';
import type { SessionOptions } from './db/session';
import * as users from './db/users';
import type { AppUser, DatabaseAdmin, DbCredentials, DbEndpoint, HookRun, SqlHook, ValidationResult } from './ports';

export { DatabaseAdminError } from './db/session';
export { SqlHookError, splitStatements, LEDGER_TABLE } from './db/hooks';
export { validateUsername } from './db/users';

export const ALLOWED_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;

export type PgDatabaseAdminOptions = SessionOptions;

export class PgDatabaseAdmin implements DatabaseAdmin {
  constructor(private readonly options: PgDatabaseAdminOptions = {}) {}

  configureUsers(endpoint: DbEndpoint, master: DbCredentials, list: AppUser[]): Promise<void> {
    return users.configureUsers(this.options, endpoint, master, list);
  }

  verifyLogin(endpoint: DbEndpoint, user: DbCredentials | AppUser): Promise<void> {
    return users.verifyLogin(this.options, endpoint, user);
  }

  disableLogins(endpoint: DbEndpoint, master: DbCredentials, usernames: string[]): Promise<string[]> {
    return users.disableLogins(this.options, endpoint, master, usernames);
  }

  runHook(endpoint: DbEndpoint, master: DbCredentials, hook: SqlHook): Promise<HookRun> {
    return hooks.runHook(this.options, endpoint, master, hook);
  }

  runValidation(endpoint: DbEndpoint, master: DbCredentials, validation: ValidationQuery, timeoutMs: number): Promise<ValidationResult> {
    return hooks.runValidation(this.options, endpoint, master, validation, timeoutMs);
  }
}
