import { PROCESSORS } from '../lib/steps';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the check-copy-status step (SQS queue aurora-restore-check-copy-status). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('check-copy-status', PROCESSORS['check-copy-status'], provider);
export const handler = createHandler(awsDependenciesProvider);
