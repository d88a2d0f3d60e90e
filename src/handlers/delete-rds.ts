import { PROCESSORS } from '../lib/steps';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the delete-rds step (SQS queue aurora-restore-delete-rds). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('delete-rds', PROCESSORS['delete-rds'], provider);
export const handler = createHandler(awsDependenciesProvider);
