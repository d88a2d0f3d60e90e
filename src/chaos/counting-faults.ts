import type { FaultPlan } from '../lib/local/faults';

export interface DeliveryFaultCounts {
  duplicatedDeliveries: number;
  reorderedBatches: number;
  delayedSchedules: number;
  scheduleDelayMsTotal: number;
}

/** The runtime's fault plan, counting each fault it injects (for the report). */
export function countingFaultPlan(plan: FaultPlan): { plan: FaultPlan; counts: DeliveryFaultCounts } {
  const counts: DeliveryFaultCounts = { duplicatedDeliveries: 0, reorderedBatches: 0, delayedSchedules: 0, scheduleDelayMsTotal: 0 };
  return {
    counts,
    plan: {
      duplicateDelivery(queue) {
        const yes = plan.duplicateDelivery(queue);
        if (yes) counts.duplicatedDeliveries++;
        return yes;
      },
      reorder(queue) {
        const yes = plan.reorder(queue);
        if (yes) counts.reorderedBatches++;
        return yes;
      },
      schedulerDelayMs() {
        const ms = plan.schedulerDelayMs();
        if (ms > 0) {
          counts.delayedSchedules++;
          counts.scheduleDelayMsTotal += ms;
        }
        return ms;
      },
      shuffle: (items) => plan.shuffle(items),
      chance: (rate) => plan.chance(rate),
    },
  };
}
