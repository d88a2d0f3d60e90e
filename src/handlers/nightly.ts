import { requestRestore } from '../lib/api';
import { busAdapter, profilesAdapter } from '../lib/aws/adapters';
import { composeAwsDependencies } from '../lib/aws/compose';
import type { Dependencies } from '../lib/dependencies';

/**
 * The recurring restore: an EventBridge Scheduler cron schedule invokes this function with the stage's
 * NIGHTLY_REQUEST as input. A static schedule input cannot carry a fresh operation id, so the request is
 * turned into `RestoreRequested` here, with a new id each night (same validation as the API and CLI).
 */
export function createHandler(provider: () => Dependencies) {
  return async (request: unknown): Promise<{ operationId: string }> => {
    const deps = provider();
    // The stage's NIGHTLY_REQUEST, or {"profile": NAME} from a profile's own schedule (read from Parameter Store now).
    const started = await requestRestore({ bus: deps.bus, clock: deps.clock, profiles: deps.profiles }, request, 'nightly-schedule');
    deps.logger.info('recurring restore requested', started);
    return started;
  };
}

let deps: Dependencies | undefined;
export const handler = createHandler(() => (deps ??= composeAwsDependencies(process.env, { bus: busAdapter, profiles: profilesAdapter })));
