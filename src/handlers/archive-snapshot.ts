import { PROCESSORS } from '../lib/steps';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the archive-snapshot step (SQS queue aurora-restore-archive-snapshot). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('archive-snapshot', PROCESSORS['archive-snapshot'], provider);
export const handler = createHandler(awsDependenciesProvider);
