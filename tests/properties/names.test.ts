/**
 * Every name the pipeline gives an RDS resource is an identifier RDS accepts ("Must contain from 1 to 63
 * letters, numbers, or hyphens. First character must be a letter. Can't end with a hyphen or contain two
 * consecutive hyphens."), lowercase as RDS stores it, deterministic, and distinct for distinct inputs —
 * whatever valid cluster and snapshot identifiers the request names.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRdsIdentifier } from '../../src/lib/local/rds/rules';
import { copiedSnapshotId, finalSnapshotId, rdsIdentifier, writerInstanceId } from '../../src/lib/steps/names';
import { newOperationId } from '../../src/schemas/identifiers';

/** Valid RDS identifiers of 1–63 characters, either case. */
const identifier = fc
  .tuple(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'), fc.array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-ABC'), { maxLength: 62 }))
  .map(([first, rest]) => `${first}${rest.join('')}`.replace(/-+/g, '-').replace(/-+$/, ''))
  .filter((s) => s.length >= 1 && s.length <= 63);
const automatedSnapshot = identifier.map((c) => `rds:${c.slice(0, 40)}-2026-11-24-00-05`.replace(/--+/g, '-'));
const operation = fc.integer({ min: 0, max: 2 ** 31 }).map((seed) => newOperationId(new Date('2026-11-24T02:00:00Z'), () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)));

const valid = (id: string) => isRdsIdentifier(id) && id === id.toLowerCase();

describe('names of what the pipeline creates', () => {
  it('are valid lowercase RDS identifiers, for any valid input', () => {
    fc.assert(
      fc.property(operation, identifier, fc.oneof(identifier, automatedSnapshot), (op, cluster, snapshot) => {
        for (const name of [copiedSnapshotId(op, snapshot), finalSnapshotId(op, cluster), writerInstanceId(cluster)]) {
          expect(valid(name), name).toBe(true);
        }
        expect(copiedSnapshotId(op, snapshot).startsWith(`aurora-restore-${op.slice(-6)}-`)).toBe(true);
        expect(finalSnapshotId(op, cluster)).toContain(`-final-${op.slice(-6)}`);
        expect(writerInstanceId(cluster).endsWith('-writer')).toBe(true);
      }),
    );
  });

  it('are deterministic and never collide for different inputs, even when shortened', () => {
    fc.assert(
      fc.property(identifier, identifier, (a, b) => {
        fc.pre(a.toLowerCase() !== b.toLowerCase());
        expect(writerInstanceId(a)).toBe(writerInstanceId(a));
        expect(writerInstanceId(a)).not.toBe(writerInstanceId(b));
        expect(rdsIdentifier(`${a}-x`.repeat(3))).not.toBe(rdsIdentifier(`${b}-x`.repeat(3)));
      }),
    );
  });

  it('a 29-character source cluster: the copy of its automated snapshot fits 63 characters (it made 68)', () => {
    const op = 'restore-20261124-020000-abc123';
    const id = copiedSnapshotId(op, 'rds:aurora-prod-orders-eu-primary-2026-11-24-00-05');
    expect('aurora-prod-orders-eu-primary').toHaveLength(29);
    expect(id.length).toBeLessThanOrEqual(63);
    expect(valid(id)).toBe(true);
    expect(id).toMatch(/^aurora-restore-abc123-aurora-prod-orders-eu-primary-20-[0-9a-f]{8}$/);
  });

  it('upper case in the request names the same resources as lower case', () => {
    expect(writerInstanceId('Aurora-Staging')).toBe(writerInstanceId('aurora-staging'));
    expect(finalSnapshotId('restore-20261124-020000-abc123', 'Aurora-Staging')).toBe('aurora-staging-final-abc123');
  });
});
