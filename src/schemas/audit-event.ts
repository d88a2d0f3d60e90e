import * as z from './zod';
import { errorCode } from '../events/catalogue';
import { anyStepName } from './steps';

/**
 * One line of the audit trail (the seed's audit event schema): who did what to which operation, when.
 * Key: operation_id (partition) + sk = `${timestamp}#${step rank}#${order}#${step}#${event_type}` (sort), so
 * the trail reads in order and a repeated write of the same transition is the same item, not a second line.
 */
export const auditEvent = z.object({
  operation_id: z.string(),
  sk: z.string(),
  timestamp: z.string(),
  step: anyStepName,
  event_type: z.string().check(z.regex(/^[A-Z][A-Z_]+$/, 'expected an UPPER_SNAKE_CASE event type')),
  status: z.enum(['SUCCESS', 'FAILURE', 'INFO']),
  details: z.record(z.string(), z.unknown()),
  error: z.nullable(z.object({ code: errorCode, message: z.string() })),
  /** TTL attribute (epoch seconds): audit is kept AUDIT_TTL_DAYS (365 by default). */
  expires_at: z.number().check(z.int()),
});
export type AuditEvent = z.infer<typeof auditEvent>;
