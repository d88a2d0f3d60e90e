/**
 * What a request may ask for under this deployment's configuration, checked by snapshot-check before anything
 * is copied or created (the IAM grants enforce the same limits): post-restore SQL only from HOOK_SOURCES,
 * application user secrets only under APP_SECRETS_PREFIX (or APP_SECRET_NAME), tags only with ALLOWED_TAG_KEYS,
 * and log exports the engine has.
 */
import type { Config } from '../schemas/config';
import type { OperationState } from '../schemas/operation-state';
import { clusterSettingsProblem } from '../schemas/refresh-settings';

type Limits = Pick<Config, 'HOOK_SOURCES' | 'APP_SECRETS_PREFIX' | 'APP_SECRET_NAME' | 'ALLOWED_TAG_KEYS'>;

/** The first problem, as `field: reason`, or undefined. */
export function requestConfigProblem(p: OperationState['parameters'], config: Limits): string | undefined {
  const sql = p.post_restore?.sql;
  if (sql) {
    const location = `${sql.bucket}/${sql.prefix}`;
    if (!config.HOOK_SOURCES.some((allowed) => location.startsWith(allowed))) {
      return `postRestore.sql: s3://${location} is not under HOOK_SOURCES (${config.HOOK_SOURCES.map((h) => `s3://${h}`).join(', ') || 'none configured'}); the pipeline may read post-restore SQL from there only`;
    }
  }
  for (const [i, u] of (p.app_users ?? []).entries()) {
    if (u.secret !== config.APP_SECRET_NAME && !u.secret.startsWith(config.APP_SECRETS_PREFIX)) {
      return `users[${i}].secret: ${u.secret} is neither APP_SECRET_NAME nor under APP_SECRETS_PREFIX (${config.APP_SECRETS_PREFIX}); the pipeline may read those secrets only`;
    }
  }
  const bad = Object.keys(p.cluster_settings?.tags ?? {}).filter((k) => !config.ALLOWED_TAG_KEYS.includes(k));
  if (bad.length) return `cluster.tags: ${bad.join(', ')} not on ALLOWED_TAG_KEYS (${config.ALLOWED_TAG_KEYS.join(', ') || 'none'})`;
  return undefined;
}

/** Engine-dependent settings, once the snapshot's (or source cluster's) engine is known. */
export function clusterEngineProblem(p: OperationState['parameters'], engine: string): string | undefined {
  return clusterSettingsProblem(p.cluster_settings, engine);
}
