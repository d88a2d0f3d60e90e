import type { SQSRecord } from 'aws-lambda';
import type { AnyStepName } from '../../schemas/steps';
import type { Dependencies } from '../dependencies';
import { runStep, type Step } from '../step-runner';
import { archiveSnapshot } from './archive-snapshot';
import { checkCopyStatus } from './check-copy-status';
import { checkDeleteStatus } from './check-delete-status';
import { checkRestoreStatus } from './check-restore-status';
import { copySnapshot } from './copy-snapshot';
import { deleteRds } from './delete-rds';
import { enforceDeadline, handleDeadLetter } from './guards';
import { restoreSnapshot } from './restore-snapshot';
import { setupDbUsers } from './setup-db-users';
import { snapshotCheck } from './snapshot-check';
import { retireCluster } from './retire-cluster';
import { swapIn, swapOut } from './swap';
import { notifyOutcome } from './sns-notification';

export type RecordProcessor = (deps: Dependencies, record: SQSRecord) => Promise<void>;

const viaRunner = (step: Step): RecordProcessor => (deps, record) => runStep(step, deps, record);

/** What each queue's records are processed by: the nine step definitions and three special processors. */
export const PROCESSORS: Record<AnyStepName, RecordProcessor> = {
  'snapshot-check': viaRunner(snapshotCheck),
  'copy-snapshot': viaRunner(copySnapshot),
  'check-copy-status': viaRunner(checkCopyStatus),
  'delete-rds': viaRunner(deleteRds),
  'check-delete-status': viaRunner(checkDeleteStatus),
  'restore-snapshot': viaRunner(restoreSnapshot),
  'check-restore-status': viaRunner(checkRestoreStatus),
  'setup-db-users': viaRunner(setupDbUsers),
  'swap-out': viaRunner(swapOut),
  'swap-in': viaRunner(swapIn),
  'retire-cluster': viaRunner(retireCluster),
  'archive-snapshot': viaRunner(archiveSnapshot),
  'sns-notification': notifyOutcome,
  watchdog: enforceDeadline,
  'dead-letter': handleDeadLetter,
};
