import { snapshotCheck } from '../lib/steps/snapshot-check';
import { viaRunner } from '../lib/steps/processor';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the snapshot-check step (SQS queue aurora-restore-snapshot-check). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('snapshot-check', viaRunner(snapshotCheck), provider);
export const handler = createHandler(awsDependenciesProvider);
