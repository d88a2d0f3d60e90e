import type { ChaosReport } from './runner';

const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
const list = (o: Record<string, number>) =>
  Object.entries(o)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';

/** One run as Markdown: what was injected, how the pipeline recovered, how operations ended, which invariants held. */
export function chaosMarkdown(runs: ChaosReport[], command: string): string {
  const out: string[] = [
    '# Chaos runs',
    '',
    `Written by \`${command}\`. Every figure is measured in the run, on the local runtime (same handlers, subscriptions, state and audit code as on AWS, over dynalite and PGlite), on a virtual clock.`,
    '',
    'Each run restores N clusters at once, each to its own target: cross- and same-region, over an existing managed cluster or none, and some designed to fail (missing snapshot or date, protected name, unmanaged target, deletion protection, target exists without deleteExisting, RDS failing the restore, a poison message). After the run the invariants below are checked on the states, audit trails, notifications, the simulated RDS history, the locks and the dead-letter queues.',
    '',
    'Determinism: the world, the plan of each operation and the crashes after side effects (a hash of seed, call and resource) are the same for a seed; the other faults are drawn from seeded generators in the order the concurrent handlers reach them, and that order depends on real asynchronous I/O (dynalite over HTTP, PGlite), so counts vary by a few percent between two runs of the same seed. The invariants must hold for every run.',
    '',
  ];
  for (const r of runs) {
    const p = r.profile;
    const f = r.faults;
    out.push(
      `## ${r.operations} operations, profile \`${p.name}\`, seed ${r.seed} — ${r.ok ? 'every invariant holds' : '**INVARIANTS VIOLATED**'}`,
      '',
      `${p.description}. Wall time **${(r.wallMs / 1000).toFixed(1)} s**, ${r.virtualMinutes} virtual minutes, ${r.runtime.invocations} handler invocations, ${r.runtime.messages} messages delivered.`,
      '',
      `Configuration: LAMBDA_TIMEOUT_SECONDS=${r.config.LAMBDA_TIMEOUT_SECONDS} (SQS visibility timeout ${(6 * r.config.LAMBDA_TIMEOUT_SECONDS) / 60} min), maxReceiveCount ${r.config.maxReceiveCount}, MAX_RETRIES ${r.config.MAX_RETRIES}, STATE_MACHINE_TIMEOUT_SECONDS ${r.config.STATE_MACHINE_TIMEOUT_SECONDS}.`,
      '',
      '### Faults injected',
      '',
      table(
        ['fault', 'rate', 'injected'],
        [
          ['queue delivery duplicated', p.duplicateDelivery, f.delivery.duplicatedDeliveries],
          ['queue batch reordered', p.reorder, f.delivery.reorderedBatches],
          ['schedule fired late', `≤ ${p.schedulerDelayMs / 1000} s`, `${f.delivery.delayedSchedules} (total ${Math.round(f.delivery.scheduleDelayMsTotal / 1000)} s)`],
          ['RDS event dropped', p.eventDropRate, f.rdsEvents.dropped],
          ['RDS event duplicated', p.eventDuplicateRate, f.rdsEvents.duplicated],
          ['RDS event late', `≤ ${p.eventLateMaxSeconds} s`, f.rdsEvents.late],
          ['RDS API throttled', p.throttleRate, f.rdsFaults.Throttling ?? 0],
          ['RDS API 503 ServiceUnavailable', p.transientRate, f.rdsFaults.ServiceUnavailable ?? 0],
          ['crash after side effect, before state write', p.crashAfterSideEffect, `${sum(f.crashes.afterSideEffect)} (${list(f.crashes.afterSideEffect)})`],
          ['crash after work, before ack', p.crashBeforeAck, `${sum(f.crashes.beforeAck)} (${list(f.crashes.beforeAck)})`],
          ['poison message (a step fails on it every time)', '2% of operations', f.poisonedDeliveries],
          ['bus outage', p.outageMinutes ? `${p.outageMinutes} min` : 'none', f.outage ? `${f.outage.from} → ${f.outage.to}: ${f.outage.eventsLost} deliveries lost` : '—'],
        ],
      ),
      '',
      '### Recovery',
      '',
      table(
        ['mechanism', 'count'],
        [
          ['retries with backoff (by step)', `${sum(r.recovery.retries)} (${list(r.recovery.retries)})`],
          ['invocations that failed whole (crash / busy step) → SQS redelivery', r.recovery.failedInvocations],
          ['records reported failed (partial batch) → SQS redelivery', r.recovery.failedRecords],
          ['outcomes republished by a finished step (duplicates, replays, redeliveries)', r.recovery.republished],
          ['messages dead-lettered → RestoreFailed', r.recovery.deadLettered],
          ['replay', r.recovery.replay ? `${r.recovery.replay.eventsReplayed} events for ${r.recovery.replay.openOperations} open operations, ${r.recovery.replay.affectedOperations} of which had lost events` : '—'],
        ],
      ),
      '',
      `RDS faults answered (all kinds, incl. the modeled ones steps reconcile, e.g. DBClusterAlreadyExistsFault after a crash): ${list(f.rdsFaults)}.`,
      '',
      `RDS API calls: ${list(r.rds.calls)}. Created (tagged with an operation): ${list(r.rds.created)}. Deleted: ${list(r.rds.deleted)}.`,
      '',
      '### Outcomes',
      '',
      `${r.outcomes.succeeded} SUCCEEDED; FAILED: ${list(r.outcomes.failed)}. As designed: **${r.outcomes.expected}**; retries exhausted under throttling (clear, retryable RestoreFailed): **${r.outcomes.transientExhaustion}**; unexpected: **${r.outcomes.unexpected}**; not terminal: **${r.outcomes.notTerminal}**.`,
      '',
      table(
        ['kind', 'outcomes'],
        Object.entries(r.outcomes.byKind)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, o]) => [k, list(o)]),
      ),
      '',
      '### Invariants',
      '',
      table(
        ['invariant', 'checked', 'result'],
        r.invariants.map((i) => [`**${i.name}** — ${i.description}`, i.checked, i.ok ? 'holds' : `**${i.violations.length} violation(s)**`]),
      ),
      '',
    );
    for (const i of r.invariants.filter((x) => !x.ok)) out.push(`Violations of ${i.name}:`, '', ...i.violations.map((v) => `- ${v}`), '');
  }
  return out.join('\n');
}
