/**
 * Error classification: faults no retry can fix end the operation at once with a clear code (not
 * five redeliveries half an hour apart); throttling of every service is retried; RDS fault names are
 * recognised with or without the `Fault` suffix (its wire codes drop it for some faults).
 */
import { DecryptionFailure } from '@aws-sdk/client-secrets-manager';
import { ThrottledException } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { classifyError, isFault } from '../../src/lib/errors';
import { rdsFault } from '../../src/lib/local/rds';

const named = (name: string, status = 400) => rdsFault(name, `${name} happened`, status);

describe('classifyError', () => {
  it.each([
    ['InvalidParameterValue', 'InvalidParameter'],
    ['InvalidParameterCombination', 'InvalidParameter'],
    ['MissingParameter', 'InvalidParameter'],
    ['DBClusterQuotaExceededFault', 'QuotaExceeded'],
    ['StorageQuotaExceeded', 'QuotaExceeded'],
    ['StorageQuotaExceededFault', 'QuotaExceeded'],
    ['InstanceQuotaExceeded', 'QuotaExceeded'],
    ['SnapshotQuotaExceeded', 'QuotaExceeded'],
    ['InsufficientDBClusterCapacityFault', 'InsufficientCapacity'],
    ['InsufficientDBInstanceCapacity', 'InsufficientCapacity'],
    ['InsufficientStorageClusterCapacity', 'InsufficientCapacity'],
    ['KMSKeyNotAccessibleFault', 'KmsKeyNotAccessible'],
    ['DBClusterSnapshotNotFoundFault', 'SnapshotNotFound'],
  ])('%s is terminal: %s', (name, code) => {
    expect(classifyError(named(name))).toMatchObject({ code, retryable: false });
  });

  it('throttling of RDS and SNS (ThrottledException) is retryable, 5xx is transient', () => {
    expect(classifyError(named('Throttling'))).toMatchObject({ code: 'Throttled', retryable: true });
    expect(classifyError(new ThrottledException({ message: 'Rate exceeded', $metadata: {} }))).toMatchObject({ code: 'Throttled', retryable: true });
    expect(classifyError(named('InternalFailure', 500))).toMatchObject({ code: 'TransientFault', retryable: true });
  });

  it('a ResourceNotFoundException is not a missing secret unless Secrets Manager says so (the adapter turns its own into SecretNotFound)', () => {
    expect(classifyError(Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' })).code).toBe('InternalError');
    expect(classifyError(new DecryptionFailure({ message: 'x', $metadata: {} })).code).toBe('InternalError');
  });

  it('isFault matches a fault with or without its Fault suffix', () => {
    expect(isFault(named('InvalidDBInstanceState'), 'InvalidDBInstanceStateFault')).toBe(true);
    expect(isFault(named('InvalidDBInstanceStateFault'), 'InvalidDBInstanceState')).toBe(true);
    expect(isFault(named('InvalidDBClusterStateFault'), 'InvalidDBInstanceStateFault')).toBe(false);
  });
});
