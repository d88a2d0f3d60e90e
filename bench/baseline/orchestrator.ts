/**
 * A polling orchestrator of the seed's design: a small Step Functions interpreter (Task, Wait, Choice,
 * Succeed, Fail, Retry, Catch, execution TimeoutSeconds) running the definition in definition.ts on a
 * virtual clock, over the same simulated RDS as the choreography. It counts what Step Functions bills
 * (state transitions, retries included) and what it invokes (Lambda tasks).
 *
 * Hand-written: no maintained in-process ASL interpreter exists for Node (Step Functions Local is a
 * Java/Docker service), and the subset the seed uses is small.
 */
import type { VirtualClock } from '../../src/lib/local/clock';
import type { Rds } from '../../src/lib/ports';
import type { RestoreRequest } from '../../src/schemas/restore-request';
import type { StateMachineDef } from './definition';
import { TASKS, type ExecutionState } from './tasks';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';

export interface ExecutionRecord {
  executionId: string;
  status: ExecutionStatus;
  startedAtMs: number;
  endedAtMs?: number;
  /** Virtual time each Task resource was first entered (the "next step started" of the latency figures). */
  taskStartedAtMs: Record<string, number>;
  error?: { Error: string; Cause: string };
  state: ExecutionState;
}

export interface OrchestratorCounters {
  /** Every state entered, plus one per retry (Step Functions bills both). */
  stateTransitions: number;
  lambdaInvocations: number;
  retries: number;
  /** States entered, by state name. */
  byState: Record<string, number>;
}

export interface PollingOrchestratorOptions {
  clock: VirtualClock;
  rds: Rds;
  definition: StateMachineDef;
  /** KMS key per target region for cross-region copies (the seed's KMS_KEY_ID per region). */
  targetKmsKeys: Record<string, string>;
}

export class PollingOrchestrator {
  readonly executions: ExecutionRecord[] = [];
  readonly counters: OrchestratorCounters = { stateTransitions: 0, lambdaInvocations: 0, retries: 0, byState: {} };
  private running = 0;

  constructor(private readonly options: PollingOrchestratorOptions) {}

  /** StartExecution: runs in the background on the virtual clock; `runUntilDone` drives it. */
  start(request: RestoreRequest, executionId: string): ExecutionRecord {
    const { clock, definition } = this.options;
    const record: ExecutionRecord = {
      executionId,
      status: 'RUNNING',
      startedAtMs: clock.nowMsValue(),
      taskStartedAtMs: {},
      state: { executionId, request, kmsKeyId: this.options.targetKmsKeys[request.targetRegion] },
    };
    this.executions.push(record);
    clock.setTimer(record.startedAtMs + definition.TimeoutSeconds * 1000, () => {
      if (record.status === 'RUNNING') this.end(record, 'TIMED_OUT');
    }, `sfn timeout ${executionId}`);
    this.running += 1;
    void this.execute(record).finally(() => {
      this.running -= 1;
    });
    return record;
  }

  /** Advances the virtual clock until every execution has ended. */
  async runUntilDone(options: { maxVirtualMs?: number } = {}): Promise<void> {
    const { clock } = this.options;
    const limit = clock.nowMsValue() + (options.maxVirtualMs ?? 24 * 3600_000);
    for (;;) {
      await this.drain();
      if (this.running === 0) return;
      const next = clock.nextTimerAt();
      if (next === undefined || next > limit) throw new Error(`baseline: ${this.running} execution(s) still running with nothing scheduled before the limit`);
      clock.advanceTo(next);
    }
  }

  /** Lets every execution run until it sleeps on the virtual clock (all its RDS calls resolve at once). */
  private async drain(): Promise<void> {
    for (let rounds = 0; ; rounds++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.options.clock.sleepers >= this.running) return;
      if (rounds > 10_000) throw new Error('baseline: an execution neither ended nor slept');
    }
  }

  private end(record: ExecutionRecord, status: ExecutionStatus): void {
    record.status = status;
    record.endedAtMs = this.options.clock.nowMsValue();
  }

  private enter(name: string): void {
    this.counters.stateTransitions += 1;
    this.counters.byState[name] = (this.counters.byState[name] ?? 0) + 1;
  }

  private async execute(record: ExecutionRecord): Promise<void> {
    const { clock, definition, rds } = this.options;
    let name = definition.StartAt;
    while (record.status === 'RUNNING') {
      const def = definition.States[name];
      if (!def) throw new Error(`state machine: no state named ${name}`);
      this.enter(name);
      switch (def.Type) {
        case 'Succeed':
          return this.end(record, 'SUCCEEDED');
        case 'Fail':
          return this.end(record, 'FAILED');
        case 'Wait':
          await clock.sleep(def.Seconds * 1000);
          name = def.Next;
          break;
        case 'Choice': {
          // Variables are top-level paths ($.copy, $.delete, $.restore): the subset the definition uses.
          const input = record.state as unknown as Record<string, unknown>;
          name = def.Choices.find((c) => input[c.Variable.replace(/^\$\./, '')] === c.StringEquals)?.Next ?? def.Default;
          break;
        }
        case 'Task': {
          record.taskStartedAtMs[def.Resource] ??= clock.nowMsValue();
          const task = TASKS[def.Resource];
          if (!task) throw new Error(`state machine: no task ${def.Resource}`);
          const attempts = new Map<number, number>();
          for (;;) {
            this.counters.lambdaInvocations += 1;
            try {
              record.state = await task(rds, record.state);
              name = def.Next ?? '';
              break;
            } catch (e) {
              if (record.status !== 'RUNNING') return;
              const error = (e as Error).name ?? 'Error';
              const index = (def.Retry ?? []).findIndex((r) => r.ErrorEquals.includes(error) || r.ErrorEquals.includes('States.TaskFailed') || r.ErrorEquals.includes('States.ALL'));
              const retrier = index >= 0 ? def.Retry![index] : undefined;
              const used = attempts.get(index) ?? 0;
              if (retrier && used < retrier.MaxAttempts) {
                attempts.set(index, used + 1);
                this.counters.retries += 1;
                this.counters.stateTransitions += 1; // each retry is billed as a transition
                await clock.sleep(retrier.IntervalSeconds * 1000 * retrier.BackoffRate ** used);
                if (record.status !== 'RUNNING') return;
                continue;
              }
              const handler = def.Catch?.find((c) => c.ErrorEquals.includes(error) || c.ErrorEquals.includes('States.ALL'));
              if (!handler) {
                record.error = { Error: error, Cause: (e as Error).message };
                return this.end(record, 'FAILED');
              }
              record.state = { ...record.state, error: { Error: error, Cause: (e as Error).message } };
              record.error = record.state.error;
              name = handler.Next;
              break;
            }
          }
          if (def.End) return this.end(record, 'SUCCEEDED');
          break;
        }
      }
    }
  }
}
