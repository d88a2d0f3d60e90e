import type { AnyStepName } from '../../schemas/steps';
import { archiveSnapshot } from './archive-snapshot';
import { checkCopyStatus } from './check-copy-status';
import { checkDeleteStatus } from './check-delete-status';
import { checkRestoreStatus } from './check-restore-status';
import { copySnapshot } from './copy-snapshot';
import { deleteRds } from './delete-rds';
import { handleDeadLetter } from './dead-letter';
import { enforceDeadline } from './watchdog';
import { restoreSnapshot } from './restore-snapshot';
import { setupDbUsers } from './setup-db-users';
import { snapshotCheck } from './snapshot-check';
import { retireCluster } from './retire-cluster';
import { swapIn } from './swap-in';
import { swapOut } from './swap-out';
import { notifyOutcome } from './sns-notification';
import { viaRunner, type RecordProcessor } from './processor';

export type { RecordProcessor } from './processor';

/**
 * What each queue's records are processed by: the step definitions and three special processors. For the
 * local runtime and tests only: a Lambda handler imports its own step (src/handlers/<step>.ts), never this table.
 */
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
