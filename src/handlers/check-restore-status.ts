import { checkRestoreStatus } from '../lib/steps/check-restore-status';
import { viaRunner } from '../lib/steps/processor';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the check-restore-status step (SQS queue aurora-restore-check-restore-status). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('check-restore-status', viaRunner(checkRestoreStatus), provider);
export const handler = createHandler(awsDependenciesProvider);
