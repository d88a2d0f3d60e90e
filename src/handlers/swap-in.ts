import { PROCESSORS } from '../lib/steps';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the swap-in step (SQS queue aurora-restore-swap-in). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('swap-in', PROCESSORS['swap-in'], provider);
export const handler = createHandler(awsDependenciesProvider);
