import type { SQSRecord } from 'aws-lambda';
import type { Dependencies } from '../dependencies';
import { runStep, type Step } from '../step-runner';

/** What processes one record of a step queue. */
export type RecordProcessor = (deps: Dependencies, record: SQSRecord) => Promise<void>;

/**
 * A step definition run by the step runner. Each Lambda handler imports its own step module and this, never
 * the table of every step (index.ts), so its bundle carries only its own step (tests/infra checks the bundles).
 */
export const viaRunner =
  (step: Step): RecordProcessor =>
  (deps, record) =>
    runStep(step, deps, record);
