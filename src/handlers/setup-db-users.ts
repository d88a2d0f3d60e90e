import { setupDbUsers } from '../lib/steps/setup-db-users';
import { viaRunner } from '../lib/steps/processor';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the setup-db-users step (SQS queue aurora-restore-setup-db-users). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('setup-db-users', viaRunner(setupDbUsers), provider);
export const handler = createHandler(awsDependenciesProvider);
