import { checkCopyStatus } from '../lib/steps/check-copy-status';
import { viaRunner } from '../lib/steps/processor';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the check-copy-status step (SQS queue aurora-restore-check-copy-status). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('check-copy-status', viaRunner(checkCopyStatus), provider);
export const handler = createHandler(awsDependenciesProvider);
