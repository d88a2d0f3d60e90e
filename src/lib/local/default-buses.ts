import type { EventPattern } from '../../events/subscriptions';
import type { EventBridgeEnvelope } from '../../events/envelope';
import { LocalEventBus, type ArchiveStore } from './bus';
import type { VirtualClock } from './clock';

/** Default buses keep no archive here (the pipeline's archive is on its own bus). */
const NO_ARCHIVE: ArchiveStore = { append: () => {}, list: () => [] };

/**
 * The account's default event bus of each region: where AWS services put their events. RDS events are
 * regional — "Amazon RDS ... sends events to the default event bus in the same AWS Region" (RDS user
 * guide) — so a rule only sees the events of its own region's default bus. The pipeline bus receives
 * the RDS events of the regions that have a forwarding rule (the deployment's, per target region); the
 * others stay on their default bus, and the steps waiting on them fall back to their re-checks.
 */
export class DefaultBuses {
  private readonly buses = new Map<string, LocalEventBus>();

  constructor(private readonly options: { clock: VirtualClock; account?: string }) {}

  of(region: string): LocalEventBus {
    let bus = this.buses.get(region);
    if (!bus) {
      bus = new LocalEventBus({ clock: this.options.clock, name: 'default', region, account: this.options.account, archive: NO_ARCHIVE });
      this.buses.set(region, bus);
    }
    return bus;
  }

  /** An event an AWS service emits in its region (`envelope.region`). */
  put(envelope: EventBridgeEnvelope): void {
    this.of(envelope.region).putRaw(envelope);
  }

  /** The forwarding rule on `region`'s default bus: matching events go to `target` (a cross-Region bus target when the regions differ). */
  forward(region: string, pattern: EventPattern, target: LocalEventBus): void {
    this.of(region).addRule({ name: `forward-to-${target.name}-${target.region}`, pattern, target: (envelope) => target.putRaw(envelope) });
  }

  /** Events that reached each default bus and matched no rule (lost to the pipeline), by region. */
  unmatched(): Record<string, number> {
    return Object.fromEntries([...this.buses].map(([region, bus]) => [region, bus.stats().unmatched]));
  }
}
