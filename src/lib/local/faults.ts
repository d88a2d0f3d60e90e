/**
 * Fault injection for the local runtime: duplicated and reordered deliveries, late schedules.
 * Deterministic for a given seed, so a failing chaos run can be replayed exactly.
 */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * mulberry32: a tiny, well-known deterministic PRNG. Hand-written because it is six lines and
 * `Math.random` cannot be seeded.
 */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultPlan {
  /** True when the message just sent to `queue` should also be delivered a second time. */
  duplicateDelivery(queue: string): boolean;
  /** True when the batch just received from `queue` should come out in a random order. */
  reorder(queue: string): boolean;
  /** Extra delay added to a one-time schedule (EventBridge Scheduler fires late, never early). */
  schedulerDelayMs(): number;
  /** A copy of `items` in a random (seeded) order. */
  shuffle<T>(items: readonly T[]): T[];
  /** True with probability `rate` (for other simulators that share the plan's seed). */
  chance(rate: number): boolean;
}

export interface FaultPlanOptions {
  seed: number;
  /** Probability (0..1) that a message is delivered twice. */
  duplicateDelivery?: number;
  /** Probability (0..1) that a received batch is reordered. */
  reorder?: number;
  /** Maximum extra delay of a schedule, in ms (uniform in [0, max]). */
  schedulerDelayMs?: number;
}

function rate(name: string, value: number | undefined): number {
  const v = value ?? 0;
  if (!(v >= 0 && v <= 1)) throw new Error(`${name}: expected a probability between 0 and 1, got ${value}`);
  return v;
}

export function createFaultPlan(options: FaultPlanOptions): FaultPlan {
  if (!Number.isInteger(options.seed)) throw new Error(`seed: expected an integer, got ${options.seed}`);
  const duplicate = rate('duplicateDelivery', options.duplicateDelivery);
  const reorder = rate('reorder', options.reorder);
  const maxDelay = options.schedulerDelayMs ?? 0;
  if (!(maxDelay >= 0)) throw new Error(`schedulerDelayMs: expected a non-negative number of ms, got ${options.schedulerDelayMs}`);
  const random = seededRandom(options.seed);
  const chance = (p: number) => p > 0 && random() < p;
  return {
    duplicateDelivery: () => chance(duplicate),
    reorder: () => chance(reorder),
    schedulerDelayMs: () => (maxDelay > 0 ? Math.floor(random() * (maxDelay + 1)) : 0),
    shuffle<T>(items: readonly T[]): T[] {
      // Fisher–Yates with the seeded generator.
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    },
    chance,
  };
}

/** The default: no faults at all. */
export const NO_FAULTS: FaultPlan = {
  duplicateDelivery: () => false,
  reorder: () => false,
  schedulerDelayMs: () => 0,
  shuffle: (items) => [...items],
  chance: () => false,
};
