import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_SCENARIO, loadScenarioFile, parseScenario, scenarioSchema } from '../../src/lib/local/scenario';
import { buildWorld } from '../../src/lib/local/rds/world';
import { restoreRequest } from '../../src/schemas/restore-request';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../../src/lib/tags';

const minimal = { regions: { 'us-east-1': { clusters: [{ id: 'aurora-prod', engine: 'aurora-postgresql' }] } } };

function errorOf(json: unknown): string {
  try {
    parseScenario(json);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected parseScenario to fail');
}

describe('scenario schema', () => {
  it('fills in documented defaults', () => {
    const s = parseScenario(minimal);
    expect(s.account).toBe('123456789012');
    expect(s.clockStart).toBe('2026-11-24T02:00:00Z');
    expect(s.durations).toEqual({ copyMinutes: 12, restoreClusterMinutes: 15, createInstanceMinutes: 10, deleteInstanceMinutes: 6, deleteClusterMinutes: 4, renameMinutes: 1, cloneMinutes: 5, pointInTimeMinutes: 20 });
    expect(s.faults).toEqual({ seed: 1, throttleRate: 0, transientRate: 0, eventDropRate: 0, eventDuplicateRate: 0, eventLateMaxSeconds: 0 });
    expect(s.failRestoreOf).toEqual([]);
    expect(s.request).toBeUndefined();
    expect(s.regions['us-east-1']?.clusters[0]).toMatchObject({ status: 'available', deletionProtection: false, tags: {}, instances: [], manualSnapshots: [] });
  });

  it('documents every field', () => {
    const json = JSON.stringify(z.toJSONSchema(scenarioSchema, { io: 'input' }));
    for (const field of ['regions', 'durations', 'failRestoreOf', 'clockStart', 'faults', 'kmsKeys', 'automatedSnapshots', 'copyMinutes', 'eventLateMaxSeconds']) {
      expect(json).toContain(field);
    }
    expect(json).toContain('Probability that an RDS event is delivered twice');
  });

  it.each([
    [{ regions: { 'mars-north-1': {} } }, 'regions.mars-north-1: expected an AWS region such as us-east-1, got "mars-north-1"'],
    [{ regions: { 'us-east-1': { clusters: [{ id: 'bad--id', engine: 'aurora-postgresql' }] } } }, 'regions.us-east-1.clusters.0.id: expected an RDS identifier'],
    [{ regions: { 'us-east-1': { clusters: [{ id: 'a1', engine: 'oracle-ee' }] } } }, 'regions.us-east-1.clusters.0.engine: expected aurora-postgresql or aurora-mysql, got "oracle-ee"'],
    [
      { ...minimal, request: { sourceClusterId: 'aurora-prod', snapshotDate: '2026-02-30', sourceRegion: 'us-east-1', targetRegion: 'us-west-2', targetClusterId: 'x1' } },
      'request.snapshotDate: expected a date that exists in the calendar',
    ],
    [{ ...minimal, clockStart: 'yesterday' }, 'clockStart: expected an ISO-8601 timestamp'],
    [{ ...minimal, faults: { throttleRate: 2 } }, 'faults.throttleRate: expected a probability from 0 to 1'],
    [{ ...minimal, durations: { copyMinutes: 0 } }, 'durations.copyMinutes: expected a positive number of minutes'],
    [{ ...minimal, account: '42' }, 'account: expected a 12-digit AWS account id'],
    [{ ...minimal, failRestoreOf: ['-x'] }, 'failRestoreOf.0: expected a cluster id, or a prefix ending in *'],
    [
      { regions: { 'us-east-1': { clusters: [{ id: 'a1', engine: 'aurora-mysql', automatedSnapshots: { days: 0 } }] } } },
      'regions.us-east-1.clusters.0.automatedSnapshots.days: expected at least 1 day',
    ],
    [
      { regions: { 'us-east-1': { clusters: [{ id: 'a1', engine: 'aurora-mysql', instances: [{ id: 'w1' }] }, { id: 'a2', engine: 'aurora-mysql', instances: [{ id: 'w1' }] }] } } },
      'regions.us-east-1.clusters.1.instances.0.id: expected a unique instance identifier in us-east-1, "w1" is already used by an instance of a1',
    ],
    [{ ...minimal, colour: 'blue' }, 'Unrecognized key: "colour"'],
  ])('names the field of a bad value (%#)', (json, message) => {
    expect(errorOf(json)).toContain(message);
  });

  it('requires regions', () => {
    expect(errorOf({})).toContain('regions:');
  });
});

describe('DEFAULT_SCENARIO', () => {
  it('parses, and its request is a valid restore request for a cross-region restore over a managed cluster', () => {
    expect(parseScenario(JSON.parse(JSON.stringify(DEFAULT_SCENARIO)))).toEqual(DEFAULT_SCENARIO);
    const req = restoreRequest.parse(DEFAULT_SCENARIO.request);
    expect(req).toMatchObject({
      sourceClusterId: 'aurora-prod',
      snapshotDate: '2026-11-24',
      sourceRegion: 'us-east-1',
      targetRegion: 'us-west-2',
      targetClusterId: 'aurora-staging',
      deleteExisting: true,
      instanceClass: 'db.r6g.large',
      subnetGroup: 'staging-db-subnets',
      securityGroupIds: ['sg-0a1b2c3d'],
    });
  });

  it('builds the world: prod with 7 daily encrypted automated snapshots, a managed staging cluster', () => {
    const world = buildWorld(DEFAULT_SCENARIO);
    const east = world.regions['us-east-1'];
    const west = world.regions['us-west-2'];
    expect(east.clusters['aurora-prod']).toMatchObject({ engine: 'aurora-postgresql', deletionProtection: true, tags: { env: 'prod' }, status: 'available' });
    expect(Object.keys(east.instances)).toEqual(['aurora-prod-writer']);
    const snaps = Object.values(east.snapshots);
    expect(snaps).toHaveLength(7);
    expect(snaps.map((s) => s.snapshotId).sort()[0]).toBe('rds:aurora-prod-2026-11-18-00-05');
    expect(east.snapshots['rds:aurora-prod-2026-11-24-00-05']).toMatchObject({
      snapshotType: 'automated',
      status: 'available',
      createdAt: '2026-11-24T00:05:00.000Z',
      encrypted: true,
      kmsKeyId: east.kmsKeys[0],
      sourceClusterId: 'aurora-prod',
    });
    expect(west.kmsKeys).toHaveLength(1);
    expect(west.clusters['aurora-staging'].tags).toEqual({ [MANAGED_BY_TAG]: MANAGED_BY_VALUE });
    expect(west.instances['aurora-staging-writer']).toMatchObject({ clusterId: 'aurora-staging', status: 'available' });
    expect(world.durations.copyMinutes).toBe(12);
  });

  it('starts automated snapshots the day before when the backup window is after the clock start', () => {
    const world = buildWorld(
      parseScenario({ clockStart: '2026-03-01T02:00:00Z', regions: { 'eu-west-1': { clusters: [{ id: 'db1', engine: 'aurora-mysql', automatedSnapshots: { days: 2, hourUtc: 3 } }] } } }),
    );
    const r = world.regions['eu-west-1'];
    expect(Object.keys(r.snapshots).sort()).toEqual(['rds:db1-2026-02-27-03-00', 'rds:db1-2026-02-28-03-00']);
    expect(r.snapshots['rds:db1-2026-02-28-03-00']).toMatchObject({ encrypted: false, engine: 'aurora-mysql' });
  });
});

describe('loadScenarioFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scenario-test-'));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('loads a valid file', () => {
    expect(loadScenarioFile(file('ok.json', JSON.stringify(minimal))).regions['us-east-1']?.clusters[0]?.id).toBe('aurora-prod');
  });

  it('names the file when it is missing, not JSON, or invalid (with the field)', () => {
    const missing = join(dir, 'missing.json');
    expect(() => loadScenarioFile(missing)).toThrow(`${missing}: cannot read the scenario file (file not found)`);
    const notJson = file('bad.json', '{ regions: ');
    expect(() => loadScenarioFile(notJson)).toThrow(`${notJson}: expected JSON`);
    const invalid = file('invalid.json', JSON.stringify({ regions: { 'mars-north-1': {} } }));
    expect(() => loadScenarioFile(invalid)).toThrow(`${invalid}: regions.mars-north-1: expected an AWS region`);
  });
});
