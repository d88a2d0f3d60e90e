import { busAdapter, notifierAdapter, objectsAdapter, profilesAdapter, queueAdapter, rdsAdapter, schedulerAdapter, secretsAdapter } from './adapters';
import { composeAwsDependencies, type AwsAdapters, type AwsDependencies } from './compose';
import { dbAdapter } from './db-adapter';

export { composeAwsDependencies, METRICS_NAMESPACE, SERVICE_NAME, type AdapterContext, type AdapterName, type AwsAdapters, type AwsDependencies } from './compose';

/** Every adapter: the full composition (CLI, tests). A Lambda bundle is wired with fewer (src/infra/wiring). */
export const ALL_ADAPTERS: AwsAdapters = {
  rds: rdsAdapter,
  bus: busAdapter,
  scheduler: schedulerAdapter,
  notifier: notifierAdapter,
  secrets: secretsAdapter,
  db: dbAdapter,
  queue: queueAdapter,
  objects: objectsAdapter,
  profiles: profilesAdapter,
};

/**
 * Builds the AWS dependencies lazily, with every adapter: each port is created on the first read of
 * its property and kept (see composeAwsDependencies).
 */
export function awsDependencies(env: Record<string, string | undefined> = process.env): AwsDependencies {
  return composeAwsDependencies(env, ALL_ADAPTERS);
}
