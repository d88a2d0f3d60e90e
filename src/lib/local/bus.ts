import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DomainEvent } from '../../events/catalogue';
import { PUT_EVENTS_MAX_BYTES, PUT_EVENTS_MAX_ENTRIES, eventBridgeEnvelope, putEventsBatches, putEventsEntrySize, toPutEventsEntry, type EventBridgeEnvelope } from '../../events/envelope';
import type { EventBus } from '../ports';
import type { VirtualClock } from './clock';
import { matchesPattern, validatePattern } from './pattern';

// ---------------------------------------------------------------- archive

/** Where the bus keeps every event it receives, for replay. */
export interface ArchiveStore {
  append(envelope: EventBridgeEnvelope): void;
  /** Every archived event, in arrival order. */
  list(): EventBridgeEnvelope[];
}

export class InMemoryArchive implements ArchiveStore {
  private readonly events: EventBridgeEnvelope[] = [];
  append(envelope: EventBridgeEnvelope): void {
    this.events.push(structuredClone(envelope));
  }
  list(): EventBridgeEnvelope[] {
    return this.events.map((e) => structuredClone(e));
  }
}

/**
 * An archive in a JSON Lines file: one event per line, appended synchronously, loaded on
 * construction, so `replay` works across CLI invocations.
 */
export class JsonlArchive implements ArchiveStore {
  private readonly events: EventBridgeEnvelope[] = [];

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path)) return;
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.trim() === '') return;
        let json: unknown;
        try {
          json = JSON.parse(line);
        } catch {
          throw new Error(`${path}:${i + 1}: expected one JSON event per line`);
        }
        const parsed = eventBridgeEnvelope.safeParse(json);
        if (!parsed.success) throw new Error(`${path}:${i + 1}: expected an EventBridge event envelope (${parsed.error.issues[0]?.path.join('.')})`);
        this.events.push(parsed.data);
      });
  }

  append(envelope: EventBridgeEnvelope): void {
    appendFileSync(this.path, `${JSON.stringify(envelope)}\n`);
    this.events.push(structuredClone(envelope));
  }

  list(): EventBridgeEnvelope[] {
    return this.events.map((e) => structuredClone(e));
  }
}

// ---------------------------------------------------------------- bus

export interface LocalRule {
  name: string;
  pattern: Record<string, unknown>;
  target: (envelope: EventBridgeEnvelope) => void;
}

/** A PutEvents request entry (the fields of the SDK's PutEventsRequestEntry the pipeline uses). */
export interface PutEventsEntry {
  Source: string;
  DetailType: string;
  /** JSON text of the detail object. */
  Detail: string;
  Time?: Date;
  EventBusName?: string;
  Resources?: string[];
}

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[];
}

export interface LocalEventBusOptions {
  clock: VirtualClock;
  name: string;
  region: string;
  account?: string;
  archive?: ArchiveStore;
}

export interface ReplayInput {
  name: string;
  /** Inclusive start of the window (event `time`). */
  from: Date;
  /** Exclusive end of the window. */
  to: Date;
  filter?: (envelope: EventBridgeEnvelope) => boolean;
}

/**
 * An EventBridge bus on the virtual clock: builds envelopes, archives every event, routes a copy
 * to each rule whose pattern matches. An outage window archives events without delivering them
 * (how events get lost); `replay` re-sends archived events with a top-level `replay-name`.
 *
 * The envelope `time` is the virtual arrival time (not the entry's `Time`), so outage windows and
 * replay windows are both measured on the bus's own clock.
 */
export class LocalEventBus {
  readonly name: string;
  readonly region: string;
  readonly account: string;
  readonly archive: ArchiveStore;
  private readonly clock: VirtualClock;
  private readonly rules: LocalRule[] = [];
  private readonly outages: { fromMs: number; toMs: number }[] = [];
  private counts = { published: 0, delivered: 0, lost: 0, unmatched: 0 };

  constructor(options: LocalEventBusOptions) {
    if (!options.name) throw new Error('name: expected an event bus name');
    if (!options.region) throw new Error('region: expected an AWS region');
    this.clock = options.clock;
    this.name = options.name;
    this.region = options.region;
    this.account = options.account ?? '000000000000';
    this.archive = options.archive ?? new InMemoryArchive();
  }

  addRule(rule: LocalRule): void {
    if (!rule.name) throw new Error('name: expected a rule name');
    if (this.rules.some((r) => r.name === rule.name)) throw new Error(`name: a rule named ${rule.name} already exists on bus ${this.name}`);
    try {
      validatePattern(rule.pattern);
    } catch (err) {
      throw new Error(`rule ${rule.name}: ${(err as Error).message}`);
    }
    this.rules.push({ ...rule, pattern: structuredClone(rule.pattern) });
  }

  removeRule(name: string): boolean {
    const i = this.rules.findIndex((r) => r.name === name);
    if (i >= 0) this.rules.splice(i, 1);
    return i >= 0;
  }

  ruleNames(): string[] {
    return this.rules.map((r) => r.name);
  }

  /** Puts up to 10 entries of less than 256 KB together; entries with a malformed Detail fail alone, as on AWS. */
  putEvents(entries: PutEventsEntry[]): PutEventsResult {
    if (entries.length < 1 || entries.length > PUT_EVENTS_MAX_ENTRIES) {
      throw Object.assign(new Error(`Entries: expected 1 to 10 entries, got ${entries.length}`), { name: 'ValidationException' });
    }
    const total = entries.reduce((n, e) => n + putEventsEntrySize(e), 0);
    if (total >= PUT_EVENTS_MAX_BYTES) {
      // "The total entry size must be less than 256KB."
      throw Object.assign(new Error(`Entries: total entry size ${total} bytes is not less than 256 KB`), { name: 'ValidationException' });
    }
    const result: PutEventsResult = { FailedEntryCount: 0, Entries: [] };
    for (const [i, entry] of entries.entries()) {
      const problem = entryProblem(entry);
      let detail: unknown;
      if (!problem) {
        try {
          detail = JSON.parse(entry.Detail);
        } catch {
          /* reported below */
        }
      }
      if (problem || !isObject(detail)) {
        result.FailedEntryCount += 1;
        result.Entries.push({
          ErrorCode: problem ? 'InvalidArgument' : 'MalformedDetail',
          ErrorMessage: problem ?? `Entries[${i}].Detail: expected JSON text of an object`,
        });
        continue;
      }
      const envelope: EventBridgeEnvelope = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: this.account,
        time: this.clock.now().toISOString(),
        region: this.region,
        resources: entry.Resources ?? [],
        detail,
      };
      this.accept(envelope);
      result.Entries.push({ EventId: envelope.id });
    }
    return result;
  }

  /** A native event arriving as a full envelope (the simulated RDS, via the forwarding rule). */
  putRaw(envelope: EventBridgeEnvelope): void {
    const parsed = eventBridgeEnvelope.safeParse(envelope);
    if (!parsed.success) throw new Error(`envelope: expected an EventBridge event (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')})`);
    this.accept(parsed.data);
  }

  /** Events arriving while the clock is in [fromMs, toMs) are archived but not delivered. */
  setOutage(fromMs: number, toMs: number): void {
    if (!(toMs > fromMs)) throw new Error(`toMs: expected a time after fromMs (${fromMs}), got ${toMs}`);
    this.outages.push({ fromMs, toMs });
  }

  clearOutages(): void {
    this.outages.length = 0;
  }

  inOutage(atMs = this.clock.now().getTime()): boolean {
    return this.outages.some((o) => atMs >= o.fromMs && atMs < o.toMs);
  }

  /** Re-sends archived events whose time is in [from, to) to the rules, marked with `replay-name`. Returns how many. */
  replay(input: ReplayInput): { replayed: number } {
    if (!input.name) throw new Error('name: expected a replay name');
    const from = input.from.getTime();
    const to = input.to.getTime();
    if (!(to > from)) throw new Error(`to: expected a time after from (${input.from.toISOString()})`);
    let replayed = 0;
    for (const envelope of this.archive.list()) {
      const t = Date.parse(envelope.time);
      if (!(t >= from && t < to)) continue;
      if (envelope['replay-name'] !== undefined) continue;
      if (input.filter && !input.filter(envelope)) continue;
      this.route({ ...envelope, 'replay-name': input.name });
      replayed += 1;
    }
    return { replayed };
  }

  stats(): { published: number; delivered: number; lost: number; unmatched: number } {
    return { ...this.counts };
  }

  private accept(envelope: EventBridgeEnvelope): void {
    this.counts.published += 1;
    this.archive.append(envelope);
    this.route(envelope);
  }

  private route(envelope: EventBridgeEnvelope): void {
    if (this.inOutage()) {
      this.counts.lost += 1;
      return;
    }
    const matching = this.rules.filter((r) => matchesPattern(r.pattern, envelope));
    if (matching.length === 0) this.counts.unmatched += 1;
    for (const rule of matching) {
      this.counts.delivered += 1;
      rule.target(structuredClone(envelope));
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function entryProblem(entry: PutEventsEntry): string | undefined {
  if (typeof entry.Source !== 'string' || entry.Source === '') return 'Source: expected a non-empty string';
  if (typeof entry.DetailType !== 'string' || entry.DetailType === '') return 'DetailType: expected a non-empty string';
  if (typeof entry.Detail !== 'string') return 'Detail: expected JSON text';
  return undefined;
}

// ---------------------------------------------------------------- EventBus port

export interface LocalEventBusPortOptions {
  bus: LocalEventBus;
}

/** The `EventBus` port on the local bus: domain events → PutEvents entries, in calls of 10 (and under 256 KB). */
export class LocalEventBusPort implements EventBus {
  private readonly bus: LocalEventBus;

  constructor(options: LocalEventBusPortOptions) {
    this.bus = options.bus;
  }

  async publish(events: DomainEvent[]): Promise<void> {
    // Synchronous on purpose: events are on the bus (and in the queues) when publish is called,
    // so a driver that has not yet yielded to the microtask queue already sees them.
    const failures: string[] = [];
    for (const batch of putEventsBatches(events.map((e) => toPutEventsEntry(e, this.bus.name)))) {
      const result = this.bus.putEvents(batch);
      result.Entries.forEach((r, j) => {
        if ('ErrorCode' in r) failures.push(`${batch[j].DetailType}: ${r.ErrorCode} ${r.ErrorMessage}`);
      });
    }
    if (failures.length > 0) throw new Error(`PutEvents failed for ${failures.length} entries: ${failures.join('; ')}`);
  }
}
