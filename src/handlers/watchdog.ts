import { PROCESSORS } from '../lib/steps';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the watchdog step (SQS queue aurora-restore-watchdog). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('watchdog', PROCESSORS['watchdog'], provider);
export const handler = createHandler(awsDependenciesProvider);
