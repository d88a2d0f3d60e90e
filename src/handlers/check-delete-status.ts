import { PROCESSORS } from '../lib/steps';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the check-delete-status step (SQS queue aurora-restore-check-delete-status). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('check-delete-status', PROCESSORS['check-delete-status'], provider);
export const handler = createHandler(awsDependenciesProvider);
