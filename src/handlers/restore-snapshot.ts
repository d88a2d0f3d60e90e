import { PROCESSORS } from '../lib/steps';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the restore-snapshot step (SQS queue aurora-restore-restore-snapshot). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('restore-snapshot', PROCESSORS['restore-snapshot'], provider);
export const handler = createHandler(awsDependenciesProvider);
