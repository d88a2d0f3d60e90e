import * as z from '../schemas/zod';
import { describeIssues } from '../schemas/restore-request';
import { EVENT_SOURCE, eventSchemas, type DomainEvent, type EventName } from './catalogue';
import { RDS_DETAIL_TYPES, RDS_SOURCE, rdsEventDetail, type RdsEventDetail } from './rds';

/** The EventBridge event envelope, as SQS receives it from a rule target. */
export const eventBridgeEnvelope = z.object({
  version: z.string(),
  id: z.string().check(z.minLength(1)),
  'detail-type': z.string().check(z.minLength(1)),
  source: z.string().check(z.minLength(1)),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z._default(z.array(z.string()), []),
  detail: z.unknown(),
  'replay-name': z.optional(z.string()),
});
export type EventBridgeEnvelope = z.infer<typeof eventBridgeEnvelope>;

export type ParsedEvent =
  | { kind: 'domain'; envelope: EventBridgeEnvelope; event: DomainEvent }
  | { kind: 'rds'; envelope: EventBridgeEnvelope; detailType: string; detail: RdsEventDetail };

/** A message we cannot act on. `operationId` is set when the message names a valid operation. */
export class InvalidEventError extends Error {
  constructor(
    message: string,
    readonly operationId?: string,
  ) {
    super(message);
    this.name = 'InvalidEventError';
  }
}

/** Parses an SQS body (JSON text) into a typed domain event or RDS event, with errors that name the field. */
export function parseEventBody(body: string): ParsedEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidEventError('body: expected JSON text of an EventBridge event');
  }
  const env = eventBridgeEnvelope.safeParse(json);
  if (!env.success) throw new InvalidEventError(describeIssues(env.error));
  const envelope = env.data;
  if (envelope.source === EVENT_SOURCE) {
    const type = envelope['detail-type'];
    if (!(type in eventSchemas)) throw new InvalidEventError(`detail-type: expected a pipeline event name, got ${JSON.stringify(type)}`);
    const parsed = eventSchemas[type as EventName].safeParse(envelope.detail);
    if (!parsed.success) {
      const opId = (envelope.detail as { operationId?: unknown } | null)?.operationId;
      const valid = typeof opId === 'string' && /^restore-\d{8}-\d{6}-[a-z0-9]{6}$/.test(opId);
      throw new InvalidEventError(`${type}: ${describeIssues(parsed.error, 'detail')}`, valid ? opId : undefined);
    }
    return { kind: 'domain', envelope, event: { type, detail: parsed.data } as DomainEvent };
  }
  if (envelope.source === RDS_SOURCE) {
    const types = Object.values(RDS_DETAIL_TYPES) as string[];
    if (!types.includes(envelope['detail-type'])) {
      throw new InvalidEventError(`detail-type: expected one of ${types.join(', ')}, got ${JSON.stringify(envelope['detail-type'])}`);
    }
    const parsed = rdsEventDetail.safeParse(envelope.detail);
    if (!parsed.success) throw new InvalidEventError(`${envelope['detail-type']}: ${describeIssues(parsed.error, 'detail')}`);
    return { kind: 'rds', envelope, detailType: envelope['detail-type'], detail: parsed.data };
  }
  throw new InvalidEventError(`source: expected ${EVENT_SOURCE} or ${RDS_SOURCE}, got ${JSON.stringify(envelope.source)}`);
}

/**
 * A domain event as EventBridge delivers it to an SQS target, for a message the pipeline sends to a queue
 * itself (a delayed re-check, src/lib/recheck.ts): the consumer cannot tell the two apart. `id` names it.
 */
export function sqsEnvelope(event: DomainEvent, at: { id: string; account: string; region: string }): EventBridgeEnvelope {
  return {
    version: '0',
    id: at.id,
    'detail-type': event.type,
    source: EVENT_SOURCE,
    account: at.account,
    time: event.detail.occurredAt.replace(/\.\d{3}Z$/, 'Z'),
    region: at.region,
    resources: [],
    detail: event.detail,
  };
}

/** Builds the PutEvents entry for a domain event. */
export function toPutEventsEntry(event: DomainEvent, eventBusName: string) {
  return {
    Source: EVENT_SOURCE,
    DetailType: event.type,
    Detail: JSON.stringify(event.detail),
    EventBusName: eventBusName,
    Time: new Date(event.detail.occurredAt),
  };
}

/** PutEvents: "Array Members: Minimum number of 1 item. Maximum number of 10 items." */
export const PUT_EVENTS_MAX_ENTRIES = 10;
/** "The total entry size must be less than 256KB." (Calculating PutEvents event entry size) */
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;

/**
 * A PutEvents entry's size as EventBridge calculates it: "If specified, the Time parameter is 14 bytes.
 * The Source and DetailType parameters are the number of bytes for their UTF-8 encoded forms. If
 * specified, the Detail parameter is the number of bytes for its UTF-8 encoded form. If specified, each
 * entry of the Resources parameter is the number of bytes for its UTF-8 encoded forms."
 */
export function putEventsEntrySize(entry: { Time?: unknown; Source?: string; DetailType?: string; Detail?: string; Resources?: string[] }): number {
  const bytes = (s: string | undefined) => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
  return (entry.Time !== undefined ? 14 : 0) + bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail) + (entry.Resources ?? []).reduce((n, r) => n + bytes(r), 0);
}

/** Entries in PutEvents calls: at most 10 a call, and less than 256 KB together; an entry too large alone is an error. */
export function putEventsBatches<T extends Parameters<typeof putEventsEntrySize>[0]>(entries: T[]): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let size = 0;
  for (const entry of entries) {
    const n = putEventsEntrySize(entry);
    if (n >= PUT_EVENTS_MAX_BYTES) throw new Error(`PutEvents: an entry of ${n} bytes (${entry.DetailType}) exceeds the 256 KB limit`);
    if (batch.length === PUT_EVENTS_MAX_ENTRIES || size + n >= PUT_EVENTS_MAX_BYTES) {
      batches.push(batch);
      batch = [];
      size = 0;
    }
    batch.push(entry);
    size += n;
  }
  if (batch.length) batches.push(batch);
  return batches;
}
