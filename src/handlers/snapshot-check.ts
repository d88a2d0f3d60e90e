import { PROCESSORS } from '../lib/steps';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the snapshot-check step (SQS queue aurora-restore-snapshot-check). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('snapshot-check', PROCESSORS['snapshot-check'], provider);
export const handler = createHandler(awsDependenciesProvider);
