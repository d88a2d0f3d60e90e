import { archiveSnapshot } from '../lib/steps/archive-snapshot';
import { viaRunner } from '../lib/steps/processor';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the archive-snapshot step (SQS queue aurora-restore-archive-snapshot). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('archive-snapshot', viaRunner(archiveSnapshot), provider);
export const handler = createHandler(awsDependenciesProvider);
