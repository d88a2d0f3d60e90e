import { PROCESSORS } from '../lib/steps';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the retire-cluster step (SQS queue aurora-restore-retire-cluster). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('retire-cluster', PROCESSORS['retire-cluster'], provider);
export const handler = createHandler(awsDependenciesProvider);
