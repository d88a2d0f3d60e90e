/**
 * Native RDS events, as EventBridge delivers them on the default bus of the resource's region:
 * best effort, so chaos runs drop, duplicate and delay them here.
 */
import { randomUUID } from 'node:crypto';
import { RDS_DETAIL_TYPES, RDS_SOURCE, type RdsEventDetail } from '../../../events/rds';
import type { EventSource } from './plane';

/** A native RDS event as EventBridge delivers it on the default bus. */
export interface RdsEventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: typeof RDS_SOURCE;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: RdsEventDetail;
}

export interface EventFaults {
  dropRate: number;
  duplicateRate: number;
  /** Each delivered copy is late by a random delay up to this many ms (0: on time). */
  lateMaxMs: number;
  random: () => number;
}

export interface EventStats {
  emitted: number;
  dropped: number;
  duplicated: number;
  late: number;
}

export interface PendingDelivery {
  atMs: number;
  envelope: RdsEventEnvelope;
}

export interface RdsEventsOptions {
  nowMs: () => number;
  setTimer: (atMs: number, fn: () => void, label?: string) => unknown;
  /** Where an event goes: the default bus of `envelope.region`. */
  deliver: (envelope: RdsEventEnvelope) => void;
  faults?: EventFaults;
}

const SOURCE_TYPES: Record<EventSource, RdsEventDetail['SourceType']> = { cluster: 'CLUSTER', instance: 'DB_INSTANCE', clusterSnapshot: 'CLUSTER_SNAPSHOT' };

/** Builds the envelope of an RDS event; `Tags` are the resource's tags when the event was sent. */
export function rdsEventEnvelope(input: {
  account: string;
  region: string;
  arn: string;
  source: EventSource;
  id: string;
  eventId: string;
  category: string;
  message: string;
  tags: Record<string, string>;
  now: Date;
}): RdsEventEnvelope {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': RDS_DETAIL_TYPES[input.source],
    source: RDS_SOURCE,
    account: input.account,
    time: input.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: input.region,
    resources: [input.arn],
    detail: {
      EventCategories: [input.category],
      SourceType: SOURCE_TYPES[input.source],
      SourceArn: input.arn,
      Date: input.now.toISOString(),
      Message: input.message,
      SourceIdentifier: input.id,
      EventID: input.eventId,
      Tags: { ...input.tags },
    },
  };
}

export class RdsEvents {
  readonly stats: EventStats = { emitted: 0, dropped: 0, duplicated: 0, late: 0 };
  private pending: PendingDelivery[] = [];

  constructor(private readonly options: RdsEventsOptions) {}

  /** Emits an event now, or drops, duplicates and delays it under the event faults. */
  emit(envelope: RdsEventEnvelope): void {
    const f = this.options.faults;
    if (!f) return this.deliverAt(this.options.nowMs(), envelope);
    if (f.dropRate > 0 && f.random() < f.dropRate) {
      this.stats.dropped++;
      return;
    }
    const copies = f.duplicateRate > 0 && f.random() < f.duplicateRate ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let n = 0; n < copies; n++) {
      const delay = f.lateMaxMs > 0 ? Math.floor(f.random() * f.lateMaxMs) : 0;
      if (delay > 0) this.stats.late++;
      this.deliverAt(this.options.nowMs() + delay, envelope);
    }
  }

  /** Late events still to be delivered, for persistence. */
  toJSON(): PendingDelivery[] {
    return structuredClone(this.pending);
  }

  /** Re-arms the late events of a saved simulator. */
  restore(stats: EventStats, pending: PendingDelivery[]): void {
    Object.assign(this.stats, stats);
    for (const d of pending) this.deliverAt(d.atMs, d.envelope);
  }

  private deliverAt(atMs: number, envelope: RdsEventEnvelope): void {
    if (atMs <= this.options.nowMs()) {
      this.stats.emitted++;
      this.options.deliver(structuredClone(envelope));
      return;
    }
    const entry: PendingDelivery = { atMs, envelope };
    this.pending.push(entry);
    this.options.setTimer(atMs, () => {
      const at = this.pending.indexOf(entry);
      if (at < 0) return;
      this.pending.splice(at, 1);
      this.stats.emitted++;
      this.options.deliver(structuredClone(envelope));
    }, `rds event ${envelope.detail.EventID} ${envelope.detail.SourceIdentifier}`);
  }
}
