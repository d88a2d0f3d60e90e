import { notifyOutcome } from '../lib/steps/sns-notification';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the sns-notification step (SQS queue aurora-restore-sns-notification). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('sns-notification', notifyOutcome, provider);
export const handler = createHandler(awsDependenciesProvider);
