import { PROCESSORS } from '../lib/steps';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the sns-notification step (SQS queue aurora-restore-sns-notification). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('sns-notification', PROCESSORS['sns-notification'], provider);
export const handler = createHandler(awsDependenciesProvider);
