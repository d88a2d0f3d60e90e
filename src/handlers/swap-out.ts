import { PROCESSORS } from '../lib/steps';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the swap-out step (SQS queue aurora-restore-swap-out). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('swap-out', PROCESSORS['swap-out'], provider);
export const handler = createHandler(awsDependenciesProvider);
