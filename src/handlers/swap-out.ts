import { swapOut } from '../lib/steps/swap-out';
import { viaRunner } from '../lib/steps/processor';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the swap-out step (SQS queue aurora-restore-swap-out). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('swap-out', viaRunner(swapOut), provider);
export const handler = createHandler(awsDependenciesProvider);
