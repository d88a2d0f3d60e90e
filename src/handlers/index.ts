import type { DependenciesProvider } from '../lib/handler';
import * as archiveSnapshot from './archive-snapshot';
import * as checkCopyStatus from './check-copy-status';
import * as checkDeleteStatus from './check-delete-status';
import * as checkRestoreStatus from './check-restore-status';
import * as copySnapshot from './copy-snapshot';
import * as deadLetter from './dead-letter';
import * as deleteRds from './delete-rds';
import * as restoreSnapshot from './restore-snapshot';
import * as setupDbUsers from './setup-db-users';
import * as snapshotCheck from './snapshot-check';
import * as snsNotification from './sns-notification';
import * as swapIn from './swap-in';
import * as swapOut from './swap-out';
import * as retireCluster from './retire-cluster';
import * as watchdog from './watchdog';

/** Every Lambda handler, keyed by step, built over the given dependencies (the local runtime's). */
export function createHandlers(provider: DependenciesProvider) {
  return {
    'snapshot-check': snapshotCheck.createHandler(provider),
    'copy-snapshot': copySnapshot.createHandler(provider),
    'check-copy-status': checkCopyStatus.createHandler(provider),
    'delete-rds': deleteRds.createHandler(provider),
    'check-delete-status': checkDeleteStatus.createHandler(provider),
    'restore-snapshot': restoreSnapshot.createHandler(provider),
    'check-restore-status': checkRestoreStatus.createHandler(provider),
    'setup-db-users': setupDbUsers.createHandler(provider),
    'swap-out': swapOut.createHandler(provider),
    'swap-in': swapIn.createHandler(provider),
    'retire-cluster': retireCluster.createHandler(provider),
    'archive-snapshot': archiveSnapshot.createHandler(provider),
    'sns-notification': snsNotification.createHandler(provider),
    watchdog: watchdog.createHandler(provider),
    'dead-letter': deadLetter.createHandler(provider),
  };
}
