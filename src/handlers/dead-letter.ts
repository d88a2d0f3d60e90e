import { PROCESSORS } from '../lib/steps';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the dead-letter step (SQS queue aurora-restore-dead-letter). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('dead-letter', PROCESSORS['dead-letter'], provider);
export const handler = createHandler(awsDependenciesProvider);
