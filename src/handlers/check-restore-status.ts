import { PROCESSORS } from '../lib/steps';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the check-restore-status step (SQS queue aurora-restore-check-restore-status). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('check-restore-status', PROCESSORS['check-restore-status'], provider);
export const handler = createHandler(awsDependenciesProvider);
