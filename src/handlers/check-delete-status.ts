import { checkDeleteStatus } from '../lib/steps/check-delete-status';
import { viaRunner } from '../lib/steps/processor';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the check-delete-status step (SQS queue aurora-restore-check-delete-status). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('check-delete-status', viaRunner(checkDeleteStatus), provider);
export const handler = createHandler(awsDependenciesProvider);
