import * as z from './zod';

/** AWS commercial, GovCloud and China regions that offer Aurora. A region not on this list is refused by name. */
export const AWS_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
  'af-south-1',
  'ap-east-1', 'ap-east-2', 'ap-south-1', 'ap-south-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3',
  'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-7', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3',
  'ca-central-1', 'ca-west-1',
  'eu-central-1', 'eu-central-2', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-south-1', 'eu-south-2', 'eu-north-1',
  'il-central-1', 'me-south-1', 'me-central-1', 'mx-central-1', 'sa-east-1',
  'us-gov-east-1', 'us-gov-west-1', 'cn-north-1', 'cn-northwest-1',
] as const;

export const region = z.enum(AWS_REGIONS, {
  error: (issue) => `expected an AWS region such as us-east-1, got ${JSON.stringify(issue.input)}`,
});
export type Region = z.infer<typeof region>;

/**
 * RDS DB cluster / instance identifier: 1-63 letters, digits or hyphens, starting with a letter,
 * no trailing hyphen and no two consecutive hyphens (RDS naming constraints).
 */
export const clusterIdentifier = z
  .string()
  .check(
    z.maxLength(63, 'expected at most 63 characters'),
    z.regex(
      /^[A-Za-z](?:[A-Za-z0-9]|-(?!-))*(?<!-)$/,
      'expected an RDS identifier: letters, digits and single hyphens, starting with a letter, not ending with a hyphen',
    ),
  );

/** Cluster snapshot identifier; automated snapshots carry the `rds:` prefix. */
export const snapshotIdentifier = z
  .string()
  .check(
    z.maxLength(255, 'expected at most 255 characters'),
    z.regex(
      /^(?:rds:)?[A-Za-z](?:[A-Za-z0-9]|-(?!-))*(?<!-)$/,
      'expected a snapshot identifier: optional "rds:" then letters, digits and single hyphens, starting with a letter',
    ),
  );

export const securityGroupId = z.string().check(z.regex(/^sg-[0-9a-f]{8,17}$/, 'expected a security group id like sg-0123abcd'));

export const subnetGroupName = z
  .string()
  .check(
    z.maxLength(255, 'expected at most 255 characters'),
    z.regex(/^[A-Za-z0-9 ._-]+$/, 'expected a DB subnet group name: letters, digits, spaces, periods, underscores, hyphens'),
  );

export const instanceClass = z.string().check(z.regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'expected a DB instance class like db.r6g.large'));

/** A calendar date that exists (2024-02-30 is refused), YYYY-MM-DD. */
export const calendarDate = z.string().check(
  z.regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD'),
  z.refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'expected a date that exists in the calendar'),
);

export const isoTimestamp = z.iso.datetime({ offset: true, error: 'expected an ISO-8601 timestamp' });

/** Operation ids look like the seed's `restore-20230615-123456`, with a random suffix against collisions. */
export const operationId = z.string().check(z.regex(/^restore-\d{8}-\d{6}-[a-z0-9]{6}$/, 'expected an operation id like restore-20230615-123456-a1b2c3'));
export type OperationId = z.infer<typeof operationId>;

export function newOperationId(now: Date, random: () => number = Math.random): OperationId {
  const iso = now.toISOString();
  const stamp = `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
  let suffix = '';
  for (let i = 0; i < 6; i++) suffix += '0123456789abcdefghijklmnopqrstuvwxyz'[Math.floor(random() * 36)];
  return `restore-${stamp}-${suffix}`;
}
