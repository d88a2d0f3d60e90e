import { swapIn } from '../lib/steps/swap-in';
import { viaRunner } from '../lib/steps/processor';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the swap-in step (SQS queue aurora-restore-swap-in). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('swap-in', viaRunner(swapIn), provider);
export const handler = createHandler(awsDependenciesProvider);
