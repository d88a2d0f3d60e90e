import { enforceDeadline } from '../lib/steps/watchdog';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the watchdog step (SQS queue aurora-restore-watchdog). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('watchdog', enforceDeadline, provider);
export const handler = createHandler(awsDependenciesProvider);
