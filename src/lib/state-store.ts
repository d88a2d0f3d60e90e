import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, ScanCommand, UpdateCommand, DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent, ErrorCode } from '../events/catalogue';
import { deriveMetrics, isTerminal, type OperationState, type OperationStatus, type StepRecord } from '../schemas/operation-state';
import type { AnyStepName, StepName } from '../schemas/steps';

/**
 * The operation's state in DynamoDB (the same lib-dynamodb code runs against AWS and dynalite).
 * One item per operation holds the seed's state object AND the per-step records, so a step's claim,
 * its idempotency check and the "not terminal" check are ONE conditional write. dynalite has no
 * TransactWriteItems, and a single-item condition is also the cheaper design on AWS.
 * Lock items (`lock#<region>#<cluster>`) give one active operation per target cluster; resource-index
 * items (`res#<region>#<id>`) map an RDS resource named in an RDS event back to its operation.
 */
export interface StateStoreOptions {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  ttlDays: number;
}

export type Patch = {
  snapshot_details?: Partial<OperationState['snapshot_details']>;
  restore_details?: Partial<OperationState['restore_details']>;
};

export type StepView =
  | { kind: 'missing' }
  | { kind: 'terminal'; state: OperationState }
  | { kind: 'done'; state: OperationState; record: StepRecord }
  | { kind: 'failed'; state: OperationState; record: StepRecord }
  | { kind: 'busy'; state: OperationState; record: StepRecord }
  | { kind: 'open'; state: OperationState; record?: StepRecord };

const TERMINAL_CONDITION = 'NOT (#status IN (:succeeded, :failed))';
const TERMINAL_VALUES = { ':succeeded': 'SUCCEEDED', ':failed': 'FAILED' };

/** Attribute names used in expressions; many (status, metrics, token, error...) are DynamoDB reserved words. */
const ATTRIBUTE_NAMES: Record<string, string> = {
  '#status': 'status',
  '#steps': 'steps',
  '#metrics': 'metrics',
  '#token': 'token',
  '#lease': 'lease_until',
  '#error': 'error',
  '#notification': 'notification',
  '#next': 'next_step',
  '#updated': 'last_updated_time',
  '#retries': 'retry_count',
  '#errors': 'error_count',
  '#holder': 'holder',
  '#key': 'operation_id',
};

/**
 * ExpressionAttributeNames for exactly the `#names` the expressions use (DynamoDB rejects unused ones):
 * the fixed ones above plus per-call ones such as `#step`.
 */
function namesFor(dynamic: Record<string, string>, ...expressions: (string | undefined)[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of expressions) {
    for (const [name] of (e ?? '').matchAll(/#[A-Za-z0-9_]+/g)) {
      const value = dynamic[name] ?? ATTRIBUTE_NAMES[name];
      if (!value) throw new Error(`no attribute name for ${name}`);
      out[name] = value;
    }
  }
  return out;
}

/** Adds ExpressionAttributeNames computed from the input's own expressions. */
function withNames<T extends { UpdateExpression?: string; ConditionExpression?: string; FilterExpression?: string }>(
  input: T,
  dynamic: Record<string, string> = {},
): T & { ExpressionAttributeNames?: Record<string, string> } {
  const names = namesFor(dynamic, input.UpdateExpression, input.ConditionExpression, input.FilterExpression);
  return Object.keys(names).length ? { ...input, ExpressionAttributeNames: names } : input;
}

/** A claim's token: unique per claim, so only its holder can complete what it claimed. */
const claimToken = (now: Date) => `${now.getTime().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

const isConditionFailure = (e: unknown) =>
  e instanceof ConditionalCheckFailedException || (e as { name?: string })?.name === 'ConditionalCheckFailedException';

export class StateStore {
  private readonly dynamo: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly ttlDays: number;

  constructor(options: StateStoreOptions) {
    this.dynamo = options.dynamo;
    this.table = options.tableName;
    this.ttlDays = options.ttlDays;
  }

  /**
   * Sends one conditional write: true when it was applied, false when its condition did not hold
   * (someone else got there first, or the operation ended). Any other error is thrown.
   */
  private async conditional(send: () => Promise<unknown>): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  expiresAt(now: Date): number {
    return Math.floor(now.getTime() / 1000) + this.ttlDays * 86400;
  }

  async get(operationId: string): Promise<OperationState | undefined> {
    const out = await this.dynamo.send(new GetCommand({ TableName: this.table, Key: { operation_id: operationId }, ConsistentRead: true }));
    return out.Item as OperationState | undefined;
  }

  /** Creates the operation item; false when it already exists (a repeat of the request). */
  async create(state: OperationState): Promise<boolean> {
    return this.conditional(() =>
      this.dynamo.send(new PutCommand({ TableName: this.table, Item: state, ConditionExpression: 'attribute_not_exists(operation_id)' })),
    );
  }

  /** What a step should do with the operation now: nothing (terminal/done), wait (busy), or work (open). */
  view(state: OperationState | undefined, step: AnyStepName, now: Date): StepView {
    if (!state) return { kind: 'missing' };
    if (isTerminal(state.status)) return { kind: 'terminal', state };
    const record = state.steps[step];
    if (!record) return { kind: 'open', state };
    if (record.status === 'DONE') return { kind: 'done', state, record };
    if (record.status === 'FAILED') return { kind: 'failed', state, record };
    if (record.lease_until && Date.parse(record.lease_until) > now.getTime()) return { kind: 'busy', state, record };
    return { kind: 'open', state, record };
  }

  /**
   * Claims a step for one worker with a lease (crash recovery: an expired lease may be re-claimed).
   * Optimistic: succeeds only if the step record is still what the caller read. Returns the token, or
   * undefined when another worker got there first.
   */
  async claim(state: OperationState, step: StepName, now: Date, leaseMs: number): Promise<string | undefined> {
    const previous = state.steps[step];
    const token = claimToken(now);
    const record: StepRecord = {
      status: 'RUNNING',
      started_at: previous?.started_at ?? now.toISOString(),
      attempts: (previous?.attempts ?? 0) + 1,
      token,
      lease_until: new Date(now.getTime() + leaseMs).toISOString(),
    };
    if (
      !(await this.conditional(() =>
        this.dynamo.send(
          new UpdateCommand(
            withNames(
              {
                TableName: this.table,
                Key: { operation_id: state.operation_id },
                UpdateExpression: 'SET #steps.#step = :record, #updated = :now',
                ConditionExpression: `attribute_exists(operation_id) AND ${TERMINAL_CONDITION} AND ${
                  previous?.token ? '#steps.#step.#token = :previousToken' : 'attribute_not_exists(#steps.#step)'
                }`,
                ExpressionAttributeValues: {
                  ':record': record,
                  ':now': now.toISOString(),
                  ...TERMINAL_VALUES,
                  ...(previous?.token ? { ':previousToken': previous.token } : {}),
                },
              },
              { '#step': step },
            ),
          ),
        ),
      ))
    )
      return undefined;
    state.steps[step] = record;
    return token;
  }

  /**
   * Ends a claim early (the worker hands its message back): the lease expires now, so the redelivery can
   * claim the step at once. Only the holder of the claim can release it; a lost race changes nothing.
   */
  async release(state: OperationState, step: StepName, token: string, now: Date): Promise<void> {
    await this.conditional(() =>
      this.dynamo.send(
        new UpdateCommand(
          withNames(
            {
              TableName: this.table,
              Key: { operation_id: state.operation_id },
              UpdateExpression: 'SET #steps.#step.#lease = :now',
              ConditionExpression: '#steps.#step.#token = :token',
              ExpressionAttributeValues: { ':now': now.toISOString(), ':token': token },
            },
            { '#step': step },
          ),
        ),
      ),
    );
  }

  /**
   * Records a step's outcome and the operation's new status in one conditional write: only if the
   * operation is not terminal, the step is not already DONE and (for claimed steps) the caller still
   * holds the claim. Returns false when the condition failed (someone else finished it, or it ended).
   */
  async complete(
    state: OperationState,
    step: StepName,
    input: {
      token?: string;
      now: Date;
      outcome: DomainEvent;
      audit?: StepRecord['audit'];
      status: OperationStatus;
      nextStep: string;
      patch?: Patch;
      retries?: number;
    },
  ): Promise<boolean> {
    const previous = state.steps[step];
    const started = previous?.started_at ?? input.now.toISOString();
    const record: StepRecord = {
      status: 'DONE',
      started_at: started,
      finished_at: input.now.toISOString(),
      duration_seconds: Math.round((input.now.getTime() - Date.parse(started)) / 100) / 10,
      attempts: previous?.attempts ?? 1,
      outcome: { type: input.outcome.type, detail: input.outcome.detail as Record<string, unknown> },
      audit: input.audit,
    };
    const names: Record<string, string> = { '#step': step };
    const values: Record<string, unknown> = {
      ':record': record,
      ':now': input.now.toISOString(),
      ':opStatus': input.status,
      ':next': input.nextStep,
      ':done': 'DONE',
      ':retries': input.retries ?? 0,
      ...TERMINAL_VALUES,
    };
    const sets = [
      '#steps.#step = :record',
      '#status = :opStatus',
      '#next = :next',
      '#updated = :now',
      '#metrics.#retries = #metrics.#retries + :retries',
    ];
    let i = 0;
    for (const [group, fields] of Object.entries(input.patch ?? {})) {
      for (const [field, value] of Object.entries(fields ?? {})) {
        if (value === undefined) continue;
        names[`#g${i}`] = group;
        names[`#f${i}`] = field;
        values[`:v${i}`] = value;
        sets.push(`#g${i}.#f${i} = :v${i}`);
        i++;
      }
    }
    let condition = `${TERMINAL_CONDITION} AND (attribute_not_exists(#steps.#step) OR #steps.#step.#status <> :done)`;
    if (input.token) {
      condition += ' AND #steps.#step.#token = :token';
      values[':token'] = input.token;
    }
    if (
      !(await this.conditional(() =>
        this.dynamo.send(
          new UpdateCommand(
            withNames(
              {
                TableName: this.table,
                Key: { operation_id: state.operation_id },
                UpdateExpression: `SET ${sets.join(', ')}`,
                ConditionExpression: condition,
                ExpressionAttributeValues: values,
              },
              names,
            ),
          ),
        ),
      ))
    )
      return false;
    state.steps[step] = record;
    return true;
  }

  /** Records a step's failure (the operation becomes FAILED when sns-notification finishes it). */
  async fail(
    state: OperationState,
    step: StepName,
    input: { token?: string; now: Date; code: ErrorCode; message: string; outcome: DomainEvent; retries?: number },
  ): Promise<boolean> {
    const previous = state.steps[step];
    const record: StepRecord = {
      status: 'FAILED',
      started_at: previous?.started_at ?? input.now.toISOString(),
      finished_at: input.now.toISOString(),
      attempts: previous?.attempts ?? 1,
      error: { code: input.code, message: input.message },
      outcome: { type: input.outcome.type, detail: input.outcome.detail as Record<string, unknown> },
    };
    if (
      !(await this.conditional(() =>
        this.dynamo.send(
          new UpdateCommand(
            withNames(
              {
                TableName: this.table,
                Key: { operation_id: state.operation_id },
                UpdateExpression:
                  'SET #steps.#step = :record, #updated = :now, #metrics.#errors = #metrics.#errors + :one, #metrics.#retries = #metrics.#retries + :retries',
                ConditionExpression: `${TERMINAL_CONDITION} AND (attribute_not_exists(#steps.#step) OR #steps.#step.#status = :running)${
                  input.token ? ' AND #steps.#step.#token = :token' : ''
                }`,
                ExpressionAttributeValues: {
                  ':record': record,
                  ':now': input.now.toISOString(),
                  ':one': 1,
                  ':running': 'RUNNING',
                  ':retries': input.retries ?? 0,
                  ...TERMINAL_VALUES,
                  ...(input.token ? { ':token': input.token } : {}),
                },
              },
              { '#step': step },
            ),
          ),
        ),
      ))
    )
      return false;
    state.steps[step] = record;
    return true;
  }

  /**
   * A wait step's first check (it claims nothing): records when it started waiting, so its duration — and
   * the metrics derived from it — run from its first check to its completion. Kept if already there.
   */
  async markWaiting(state: OperationState, step: StepName, now: Date, phase?: { name: string; started_at: string }): Promise<void> {
    const existing = state.steps[step];
    if (existing) {
      if (phase && (existing.phase?.name !== phase.name || existing.phase.started_at !== phase.started_at)) await this.setPhase(state, step, phase);
      return;
    }
    const record: StepRecord = { status: 'RUNNING', started_at: now.toISOString(), attempts: 0, ...(phase ? { phase } : {}) };
    await this.conditional(() =>
      this.dynamo.send(
        new UpdateCommand(
          withNames(
            {
              TableName: this.table,
              Key: { operation_id: state.operation_id },
              UpdateExpression: 'SET #steps.#step = if_not_exists(#steps.#step, :record)',
              ConditionExpression: `attribute_exists(operation_id) AND ${TERMINAL_CONDITION}`,
              ExpressionAttributeValues: { ':record': record, ...TERMINAL_VALUES },
            },
            { '#step': step },
          ),
        ),
      ),
    );
    state.steps[step] ??= record;
  }

  private async setPhase(state: OperationState, step: StepName, phase: { name: string; started_at: string }): Promise<void> {
    await this.conditional(() =>
      this.dynamo.send(
        new UpdateCommand(
          withNames(
            {
              TableName: this.table,
              Key: { operation_id: state.operation_id },
              UpdateExpression: 'SET #steps.#step.#phase = :phase',
              ConditionExpression: `attribute_exists(#steps.#step) AND ${TERMINAL_CONDITION}`,
              ExpressionAttributeValues: { ':phase': phase, ...TERMINAL_VALUES },
            },
            { '#step': step, '#phase': 'phase' },
          ),
        ),
      ),
    );
    if (state.steps[step]) state.steps[step].phase = phase;
  }

  /**
   * Makes `next` the live re-check attempt of a waiting step, only if `current` still is (none yet:
   * `current` undefined). False when another invocation armed one first: it is the live one.
   */
  async armRecheck(state: OperationState, step: StepName, current: number | undefined, next: number, armedBy: string): Promise<boolean> {
    const armed = await this.conditional(() =>
      this.dynamo.send(
        new UpdateCommand(
          withNames(
            {
              TableName: this.table,
              Key: { operation_id: state.operation_id },
              UpdateExpression: 'SET #steps.#step.recheck_attempt = :next, #steps.#step.recheck_armed_by = :by',
              ConditionExpression:
                (current === undefined ? 'attribute_not_exists(#steps.#step.recheck_attempt)' : '#steps.#step.recheck_attempt = :current') +
                ` AND attribute_exists(#steps.#step) AND ${TERMINAL_CONDITION}`,
              ExpressionAttributeValues: { ':next': next, ':by': armedBy, ...(current === undefined ? {} : { ':current': current }), ...TERMINAL_VALUES },
            },
            { '#step': step },
          ),
        ),
      ),
    );
    if (armed && state.steps[step]) Object.assign(state.steps[step], { recheck_attempt: next, recheck_armed_by: armedBy });
    return armed;
  }

  /**
   * Appends `entry` to the list `restore_details.<field>` while the operation runs: progress a step records as
   * it goes (post-restore SQL files as they commit), so the state says what happened even if the step dies.
   */
  async appendRestoreDetail(operationId: string, field: 'post_restore_hooks' | 'validations_passed', entry: unknown, now: Date): Promise<void> {
    await this.conditional(() =>
      this.dynamo.send(
        new UpdateCommand(
          withNames(
            {
              TableName: this.table,
              Key: { operation_id: operationId },
              UpdateExpression: 'SET #rd.#field = list_append(if_not_exists(#rd.#field, :empty), :entry), #updated = :now',
              ConditionExpression: `attribute_exists(operation_id) AND ${TERMINAL_CONDITION}`,
              ExpressionAttributeValues: { ':entry': [entry], ':empty': [], ':now': now.toISOString(), ...TERMINAL_VALUES },
            },
            { '#rd': 'restore_details', '#field': field },
          ),
        ),
      ),
    );
  }

  /**
   * Adds retries to the operation's retry_count when no step outcome carries them (a wait step's check
   * that retried and is still waiting). Ignored once the operation has ended.
   */
  async countRetries(operationId: string, retries: number, now: Date): Promise<void> {
    if (retries <= 0) return;
    await this.conditional(() =>
      this.dynamo.send(
        new UpdateCommand(
          withNames({
            TableName: this.table,
            Key: { operation_id: operationId },
            UpdateExpression: 'SET #metrics.#retries = #metrics.#retries + :retries, #updated = :now',
            ConditionExpression: `attribute_exists(operation_id) AND ${TERMINAL_CONDITION}`,
            ExpressionAttributeValues: { ':retries': retries, ':now': now.toISOString(), ...TERMINAL_VALUES },
          }),
        ),
      ),
    );
  }

  /**
   * Moves the operation to its terminal status exactly once (condition: not terminal yet) and stores
   * the seed's metrics. Returns the final state and whether this call made the transition.
   */
  async finish(
    operationId: string,
    outcome: { status: 'SUCCEEDED' | 'FAILED'; now: Date; error: OperationState['error']; failedStep?: string },
  ): Promise<{ transitioned: boolean; state?: OperationState }> {
    const current = await this.get(operationId);
    if (!current) return { transitioned: false };
    if (isTerminal(current.status)) return { transitioned: false, state: current };
    const end = outcome.now.toISOString();
    const metrics = deriveMetrics(current, end);
    if (outcome.error && !current.steps[outcome.error.step]) metrics.error_count += 1;
    if (
      !(await this.conditional(() =>
        this.dynamo.send(
          new UpdateCommand(
            withNames({
              TableName: this.table,
              Key: { operation_id: operationId },
              UpdateExpression: 'SET #status = :final, #error = :error, #next = :none, #updated = :now, #metrics = :metrics',
              ConditionExpression: TERMINAL_CONDITION,
              ExpressionAttributeValues: {
                ':final': outcome.status,
                ':error': outcome.error,
                ':none': 'NONE',
                ':now': end,
                ':metrics': metrics,
                ...TERMINAL_VALUES,
              },
            }),
          ),
        ),
      ))
    )
      return { transitioned: false, state: await this.get(operationId) };
    return {
      transitioned: true,
      state: { ...current, status: outcome.status, error: outcome.error, next_step: 'NONE', last_updated_time: end, metrics },
    };
  }

  /**
   * Claims the operation's one terminal notification (works on a terminal operation, unlike `claim`):
   * only while none was sent and no other invocation holds a live lease on it.
   */
  async claimNotification(operationId: string, now: Date, leaseMs: number): Promise<string | undefined> {
    const token = claimToken(now);
    const record: StepRecord = {
      status: 'RUNNING',
      started_at: now.toISOString(),
      attempts: 1,
      token,
      lease_until: new Date(now.getTime() + leaseMs).toISOString(),
    };
    if (
      !(await this.conditional(() =>
        this.dynamo.send(
          new UpdateCommand(
            withNames(
              {
                TableName: this.table,
                Key: { operation_id: operationId },
                UpdateExpression: 'SET #steps.#step = :record',
                ConditionExpression:
                  'attribute_exists(operation_id) AND attribute_not_exists(#notification) AND (attribute_not_exists(#steps.#step) OR #steps.#step.#lease < :now)',
                ExpressionAttributeValues: { ':record': record, ':now': now.toISOString() },
              },
              { '#step': 'sns-notification' },
            ),
          ),
        ),
      ))
    )
      return undefined;
    return token;
  }

  /** Records the sent notification; from then on every repeat of a terminal event is a no-op. */
  async recordNotification(
    operationId: string,
    input: { token: string; messageId: string; startedAt: Date; now: Date; outcome: string },
  ): Promise<void> {
    const record: StepRecord = {
      status: 'DONE',
      started_at: input.startedAt.toISOString(),
      finished_at: input.now.toISOString(),
      duration_seconds: Math.round((input.now.getTime() - input.startedAt.getTime()) / 100) / 10,
      attempts: 1,
    };
    await this.conditional(() =>
      this.dynamo.send(
        new UpdateCommand(
          withNames(
            {
              TableName: this.table,
              Key: { operation_id: operationId },
              UpdateExpression: 'SET #notification = :n, #steps.#step = :record',
              ConditionExpression: 'attribute_not_exists(#notification) AND #steps.#step.#token = :token',
              ExpressionAttributeValues: {
                ':n': { message_id: input.messageId, sent_at: input.now.toISOString(), outcome: input.outcome },
                ':record': record,
                ':token': input.token,
              },
            },
            { '#step': 'sns-notification' },
          ),
        ),
      ),
    );
  }

  // --- one active operation per target cluster -------------------------------------------------

  /** RDS identifiers are case-insensitive and stored lowercase: `Aurora-Staging` and `aurora-staging` are one cluster, one lock. */
  private lockKey(region: string, clusterId: string) {
    return `lock#${region}#${clusterId.toLowerCase()}`;
  }

  private resourceKey(region: string, resourceId: string) {
    return `res#${region}#${resourceId.toLowerCase()}`;
  }

  async lockHolder(region: string, clusterId: string): Promise<string | undefined> {
    const out = await this.dynamo.send(
      new GetCommand({ TableName: this.table, Key: { operation_id: this.lockKey(region, clusterId) }, ConsistentRead: true }),
    );
    return out.Item?.holder as string | undefined;
  }

  /**
   * Takes the target cluster for an operation. A lock left by an operation that has ended (its release
   * was lost) is taken over; a lock held by a live operation is refused with the holder's id.
   */
  async acquireLock(
    region: string,
    clusterId: string,
    operationId: string,
    now: Date,
  ): Promise<{ acquired: true } | { acquired: false; holder: string }> {
    const key = this.lockKey(region, clusterId);
    for (let attempt = 0; attempt < 3; attempt++) {
      const holder = await this.lockHolder(region, clusterId);
      if (holder && holder !== operationId) {
        const other = await this.get(holder);
        if (other && !isTerminal(other.status)) return { acquired: false, holder };
      }
      if (
        await this.conditional(() =>
          this.dynamo.send(
            new PutCommand(
              withNames({
                TableName: this.table,
                Item: { operation_id: key, holder: operationId, acquired_at: now.toISOString(), expires_at: this.expiresAt(now) },
                ConditionExpression: holder ? 'holder = :previous' : 'attribute_not_exists(operation_id)',
                ExpressionAttributeValues: holder ? { ':previous': holder } : undefined,
              }),
            ),
          ),
        )
      ) {
        return { acquired: true };
      }
    }
    const holder = await this.lockHolder(region, clusterId);
    return holder === operationId ? { acquired: true } : { acquired: false, holder: holder ?? 'unknown' };
  }

  /** Releases the lock if this operation holds it (never someone else's). */
  async releaseLock(region: string, clusterId: string, operationId: string): Promise<void> {
    await this.conditional(() =>
      this.dynamo.send(
        new DeleteCommand(
          withNames({
            TableName: this.table,
            Key: { operation_id: this.lockKey(region, clusterId) },
            ConditionExpression: '#holder = :me',
            ExpressionAttributeValues: { ':me': operationId },
          }),
        ),
      ),
    );
  }

  // --- RDS resource → operation -------------------------------------------------------------------

  async indexResource(region: string, resourceId: string, operationId: string, now: Date): Promise<void> {
    await this.dynamo.send(
      new PutCommand({
        TableName: this.table,
        Item: { operation_id: this.resourceKey(region, resourceId), holder: operationId, expires_at: this.expiresAt(now) },
      }),
    );
  }

  /** The operation an RDS resource belongs to: the resource index first, then the target-cluster lock. */
  async operationForResource(region: string, resourceId: string): Promise<string | undefined> {
    const out = await this.dynamo.send(
      new GetCommand({ TableName: this.table, Key: { operation_id: this.resourceKey(region, resourceId) }, ConsistentRead: true }),
    );
    return (out.Item?.holder as string | undefined) ?? (await this.lockHolder(region, resourceId));
  }

  /** All operations, newest first (a scan: the table holds operations of the last STATE_TTL_DAYS only). */
  async list(): Promise<OperationState[]> {
    const items: OperationState[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.dynamo.send(
        new ScanCommand(
          withNames({
            TableName: this.table,
            ExclusiveStartKey: start,
            FilterExpression: 'begins_with(operation_id, :p)',
            ExpressionAttributeValues: { ':p': 'restore-' },
          }),
        ),
      );
      items.push(...((out.Items ?? []) as OperationState[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return items.sort((a, b) => b.start_time.localeCompare(a.start_time));
  }
}
