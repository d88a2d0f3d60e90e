import { PROCESSORS } from '../lib/steps';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the setup-db-users step (SQS queue aurora-restore-setup-db-users). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('setup-db-users', PROCESSORS['setup-db-users'], provider);
export const handler = createHandler(awsDependenciesProvider);
