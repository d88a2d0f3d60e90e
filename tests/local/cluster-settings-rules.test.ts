import { describe, expect, it } from 'vitest';
import { checkClusterSettings, checkParameterGroup, checkServerlessCapacity, parameterGroupFamily } from '../../src/lib/local/rds/rules';

/** The simulator refuses what RDS refuses for the cluster settings a request may carry (rules.ts cites each sentence). */
describe('cluster settings as RDS checks them', () => {
  it('Serverless v2: half-steps, 0 ACUs only with auto-pause (PostgreSQL 16.3+, 15.7+, 14.12+, 13.15+; MySQL 3.08.0+), at most 256, max above 0.5, min ≤ max', () => {
    expect(() => checkServerlessCapacity('aurora-postgresql', '16.6', { MinCapacity: 0, MaxCapacity: 256 })).not.toThrow();
    expect(() => checkServerlessCapacity('aurora-postgresql', '16.2', { MinCapacity: 0, MaxCapacity: 4 })).toThrow(/below the smallest value 0.5.*auto-pause/);
    expect(() => checkServerlessCapacity('aurora-postgresql', '15.7', { MinCapacity: 0, MaxCapacity: 4 })).not.toThrow();
    expect(() => checkServerlessCapacity('aurora-mysql', '8.0.mysql_aurora.3.07.1', { MinCapacity: 0, MaxCapacity: 4 })).toThrow(/below the smallest value 0.5/);
    expect(() => checkServerlessCapacity('aurora-mysql', '8.0.mysql_aurora.3.08.0', { MinCapacity: 0, MaxCapacity: 4 })).not.toThrow();
    expect(() => checkServerlessCapacity('aurora-postgresql', '16.6', { MinCapacity: 1.25, MaxCapacity: 4 })).toThrow(/half-step/);
    expect(() => checkServerlessCapacity('aurora-postgresql', '16.6', { MinCapacity: 1, MaxCapacity: 256.5 })).toThrow(/above the largest value 256/);
    expect(() => checkServerlessCapacity('aurora-postgresql', '16.6', { MinCapacity: 0, MaxCapacity: 0.5 })).toThrow(/higher than 0.5/);
    expect(() => checkServerlessCapacity('aurora-postgresql', '16.6', { MinCapacity: 8, MaxCapacity: 4 })).toThrow(/above MaxCapacity/);
  });

  it('parameter groups: families follow the engine version; unknown groups and other families are refused', () => {
    expect(parameterGroupFamily('aurora-postgresql', '16.6')).toBe('aurora-postgresql16');
    expect(parameterGroupFamily('aurora-mysql', '8.0.mysql_aurora.3.08.0')).toBe('aurora-mysql8.0');
    const groups = [{ name: 'pg15', family: 'aurora-postgresql15', kind: 'cluster' as const }];
    expect(() => checkParameterGroup(groups, 'cluster', 'default.aurora-postgresql16', 'aurora-postgresql', '16.6')).not.toThrow();
    expect(() => checkParameterGroup(groups, 'cluster', 'pg15', 'aurora-postgresql', '16.6')).toThrow(expect.objectContaining({ name: 'InvalidParameterCombination' }));
    expect(() => checkParameterGroup(groups, 'instance', 'pg15', 'aurora-postgresql', '15.4')).toThrow(expect.objectContaining({ name: 'DBParameterGroupNotFound' }));
  });

  it('port 1150-65535 and the log types of the engine', () => {
    expect(() => checkClusterSettings({ Port: 1149 }, 'aurora-postgresql', '16.6', [])).toThrow(/1150-65535/);
    expect(() => checkClusterSettings({ Port: 65536 }, 'aurora-postgresql', '16.6', [])).toThrow(/1150-65535/);
    expect(checkClusterSettings({ Port: 6432, EnableCloudwatchLogsExports: ['postgresql', 'iam-db-auth-error'] }, 'aurora-postgresql', '16.6', [])).toMatchObject({ port: 6432, logExports: ['postgresql', 'iam-db-auth-error'] });
    expect(() => checkClusterSettings({ EnableCloudwatchLogsExports: ['audit'] }, 'aurora-postgresql', '16.6', [])).toThrow(/log types 'audit'/);
    expect(() => checkClusterSettings({ EnableCloudwatchLogsExports: ['audit', 'slowquery'] }, 'aurora-mysql', '8.0.mysql_aurora.3.08.0', [])).not.toThrow();
  });
});
