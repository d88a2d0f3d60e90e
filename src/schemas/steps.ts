import * as z from './zod';

/**
 * The ten steps of the seed, in pipeline order, with the three of the swap strategy (after the users are
 * set up on the new cluster: rename the old one away, the new one in, retire the old one), plus the two
 * guards the choreography adds.
 */
export const STEP_NAMES = [
  'snapshot-check',
  'copy-snapshot',
  'check-copy-status',
  'delete-rds',
  'check-delete-status',
  'restore-snapshot',
  'check-restore-status',
  'setup-db-users',
  'swap-out',
  'swap-in',
  'retire-cluster',
  'archive-snapshot',
  'sns-notification',
] as const;
export const GUARD_NAMES = ['watchdog', 'dead-letter'] as const;

export const stepName = z.enum(STEP_NAMES);
export type StepName = z.infer<typeof stepName>;
export const anyStepName = z.enum([...STEP_NAMES, ...GUARD_NAMES]);
export type AnyStepName = z.infer<typeof anyStepName>;

/** The waits that are re-checked by one-time schedules, and the step that performs each. */
export const CHECKS = { copy: 'check-copy-status', delete: 'check-delete-status', restore: 'check-restore-status', 'swap-out': 'swap-out', 'swap-in': 'swap-in' } as const;
export const checkName = z.enum(['copy', 'delete', 'restore', 'swap-out', 'swap-in']);
export type CheckName = z.infer<typeof checkName>;
