import { retireCluster } from '../lib/steps/retire-cluster';
import { viaRunner } from '../lib/steps/processor';
import { awsDependenciesProvider, sqsHandler, type DependenciesProvider } from '../lib/handler';

/** Lambda entry point of the retire-cluster step (SQS queue aurora-restore-retire-cluster). */
export const createHandler = (provider: DependenciesProvider) => sqsHandler('retire-cluster', viaRunner(retireCluster), provider);
export const handler = createHandler(awsDependenciesProvider);
