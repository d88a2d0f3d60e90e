/**
 * The swap strategy's name exchange, after the users are set up on the new cluster (built under a
 * temporary name while the old one kept serving):
 * - swap-out renames the old target away (`<target>-old-<op>`), so its name is free;
 * - swap-in renames the new cluster (`<target>-new-<op>`) to the target's name — applications keep the
 *   same endpoint host name ("When you change the DB cluster identifier, the DB cluster endpoints change").
 * Both are waits: a rename takes a while ("renaming"), completes with RDS-EVENT-0172 ("Renamed cluster from
 * `name` to `name`"), and is confirmed with DescribeDBClusters. They decide from what RDS shows, never from
 * memory, so a crash between the two renames, a duplicate or a replay finds the same situation and goes on
 * — and they rename only: the old cluster stays until retire-cluster deletes it under the safety rules.
 */
// What the two swap steps share; each step is a module of its own (swap-out.ts, swap-in.ts).
import type { Config } from '../../schemas/config';
import type { StepContext, StepResult } from '../step-runner';
import { retiredClusterId, temporaryClusterId } from './names';

export const RECHECK_OUT = { check: 'swap-out', delaySeconds: (c: Config) => c.RENAME_RECHECK_SECONDS } as const;
export const RECHECK_IN = { check: 'swap-in', delaySeconds: (c: Config) => c.RENAME_RECHECK_SECONDS } as const;

/** The names the swap moves between, indexed so that their RDS events (rename, deletion) find the operation. */
/** A rename wait's result: its re-check after RENAME_RECHECK_SECONDS, with what it saw. */
export const renameWaiting = (recheck: typeof RECHECK_OUT | typeof RECHECK_IN, config: Config, audit: { type: string; details: Record<string, unknown> }): StepResult => ({
  kind: 'waiting',
  check: recheck.check,
  delaySeconds: recheck.delaySeconds(config),
  audit,
});

export async function swapNames(ctx: StepContext) {
  const { state, store } = ctx;
  const p = state.parameters;
  const names = { target: p.target_cluster_id, temporary: temporaryClusterId(state.operation_id, p.target_cluster_id), retired: retiredClusterId(state.operation_id, p.target_cluster_id) };
  for (const id of [names.temporary, names.retired]) await store.indexResource(p.target_region, id, state.operation_id, ctx.now);
  return names;
}

