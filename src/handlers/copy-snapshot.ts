import { PROCESSORS } from '../lib/steps';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the copy-snapshot step (SQS queue aurora-restore-copy-snapshot). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('copy-snapshot', PROCESSORS['copy-snapshot'], provider);
export const handler = createHandler(awsDependenciesProvider);
