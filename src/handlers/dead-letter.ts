import { handleDeadLetter } from '../lib/steps/dead-letter';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the dead-letter step (SQS queue aurora-restore-dead-letter). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('dead-letter', handleDeadLetter, provider);
export const handler = createHandler(awsDependenciesProvider);
