/**
 * Names of a filtered replay's temporary rules (src/lib/aws/replay-filter.ts), shared with the template:
 * each step queue's policy admits, besides the step's own rules, the rules named
 * `replay-<replay id>-<step>-<pattern>-<n>` on the pipeline bus (ArnLike `rule/<bus>/replay-*-<step>-*`),
 * so a replay's events are delivered, and nothing else is.
 */
import { createHash } from 'node:crypto';

/** Every temporary replay rule's name starts with this (the pipeline's own rules start with the service name). */
export const REPLAY_RULE_PREFIX = 'replay-';
/** EventBridge rule names: 1-64 characters of [.\-_A-Za-z0-9]. */
export const RULE_NAME_MAX = 64;

/** A short id of the replay (8 hex digits): a replay name can be 64 characters, a rule name too. */
export const replayId = (replayName: string) => createHash('sha256').update(replayName).digest('hex').slice(0, 8);

/** `replay-<id>-<step>-<pattern>-<n>`: at most 7 + 8 + 1 + 47 characters for the pipeline's longest step and pattern. */
export function replayRuleName(replayName: string, step: string, pattern: string, n: number): string {
  const name = `${REPLAY_RULE_PREFIX}${replayId(replayName)}-${step}-${pattern}-${n}`;
  if (name.length > RULE_NAME_MAX) throw new Error(`rule name ${name}: longer than ${RULE_NAME_MAX} characters`);
  return name;
}

/** The rule-name wildcard a step queue's policy admits for replays to that step. */
export const replayRuleGlob = (step: string) => `${REPLAY_RULE_PREFIX}*-${step}-*`;
