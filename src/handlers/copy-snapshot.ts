import { copySnapshot } from '../lib/steps/copy-snapshot';
import { viaRunner } from '../lib/steps/processor';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the copy-snapshot step (SQS queue aurora-restore-copy-snapshot). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('copy-snapshot', viaRunner(copySnapshot), provider);
export const handler = createHandler(awsDependenciesProvider);
