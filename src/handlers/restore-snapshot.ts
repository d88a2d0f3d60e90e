import { restoreSnapshot } from '../lib/steps/restore-snapshot';
import { viaRunner } from '../lib/steps/processor';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the restore-snapshot step (SQS queue aurora-restore-restore-snapshot). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('restore-snapshot', viaRunner(restoreSnapshot), provider);
export const handler = createHandler(awsDependenciesProvider);
