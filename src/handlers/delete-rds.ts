import { deleteRds } from '../lib/steps/delete-rds';
import { viaRunner } from '../lib/steps/processor';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the delete-rds step (SQS queue aurora-restore-delete-rds). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('delete-rds', viaRunner(deleteRds), provider);
export const handler = createHandler(awsDependenciesProvider);
