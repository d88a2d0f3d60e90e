/**
 * Public AWS prices (us-east-1, on-demand, no free tier) and the cost model per restore. Prices were
 * looked up with the search tool; each carries the page it comes from. Lambda duration on AWS is not
 * measurable here (handlers run in zero virtual time): both designs are charged the same assumed
 * billed duration per invocation, plus, for the choreography, the time its handlers sleep in retry
 * backoff (Step Functions waits between retries outside Lambda, for free).
 */
import type { DesignCounters } from './designs';

export interface Price {
  item: string;
  usd: number;
  per: number;
  unit: string;
  source: string;
}

export const PRICES = {
  eventBridgeEvent: { item: 'EventBridge custom events (PutEvents, incl. Scheduler → bus)', usd: 1.0, per: 1e6, unit: 'events', source: 'https://aws.amazon.com/eventbridge/pricing/ (also cloudburn.io/blog/amazon-eventbridge-pricing, 2026)' },
  schedulerInvocation: { item: 'EventBridge Scheduler invocations', usd: 1.0, per: 1e6, unit: 'invocations (first 14 M/month free, not applied)', source: 'https://aws.amazon.com/eventbridge/pricing/ (cloudburn.io, awsnegotiations.com/eventbridge-scheduler-cost)' },
  sqsRequest: { item: 'SQS standard requests (send, receive, delete; per 64 KB chunk)', usd: 0.4, per: 1e6, unit: 'requests', source: 'https://aws.amazon.com/sqs/pricing/ (cloudburn.io/blog/amazon-sqs-pricing, 2026)' },
  lambdaRequest: { item: 'Lambda requests', usd: 0.2, per: 1e6, unit: 'requests', source: 'https://aws.amazon.com/lambda/pricing/' },
  lambdaGbSecond: { item: 'Lambda duration, arm64', usd: 0.0000133334, per: 1, unit: 'GB-s (first 7.5 B GB-s tier)', source: 'https://aws.amazon.com/lambda/pricing/ (cloudchipr.com/blog/aws-lambda-pricing)' },
  dynamoWrite: { item: 'DynamoDB on-demand write request units', usd: 0.625, per: 1e6, unit: 'WRU (1 KB each)', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (after the Nov 2024 50 % cut; airbyte.com/data-engineering-resources/dynamodb-pricing)' },
  dynamoRead: { item: 'DynamoDB on-demand read request units', usd: 0.125, per: 1e6, unit: 'RRU (4 KB strongly consistent, 8 KB eventually)', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/' },
  stepFunctionsTransition: { item: 'Step Functions standard state transitions (retries included)', usd: 0.025, per: 1000, unit: 'transitions', source: 'https://aws.amazon.com/step-functions/pricing/' },
} satisfies Record<string, Price>;

export interface CostAssumptions {
  /** Assumed billed duration of one Lambda invocation (both designs). */
  lambdaMsPerInvocation: number;
  /** LAMBDA_MEMORY_SIZE (seed default 256 MB). */
  lambdaMemoryMb: number;
}

export const DEFAULT_ASSUMPTIONS: CostAssumptions = { lambdaMsPerInvocation: 100, lambdaMemoryMb: 256 };

export interface CostLine {
  item: string;
  quantity: number;
  usd: number;
}

const cost = (p: Price, quantity: number): CostLine => ({ item: p.item, quantity, usd: (quantity / p.per) * p.usd });

function lambda(invocations: number, sleepMs: number, a: CostAssumptions): CostLine[] {
  const gbSeconds = ((invocations * a.lambdaMsPerInvocation + sleepMs) / 1000) * (a.lambdaMemoryMb / 1024);
  return [cost(PRICES.lambdaRequest, invocations), cost(PRICES.lambdaGbSecond, gbSeconds)];
}

/** SQS requests of the event source mappings: one send per message, one receive + one delete per batch. */
export const sqsRequestsOf = (c: DesignCounters) => (c.sqsMessages ?? 0) + 2 * c.lambdaInvocations;

export function choreographyCost(c: DesignCounters, restores: number, a = DEFAULT_ASSUMPTIONS): CostLine[] {
  const events = Object.values(c.domainEvents ?? {}).reduce((n, x) => n + x, 0);
  const lines = [
    cost(PRICES.eventBridgeEvent, events),
    cost(PRICES.schedulerInvocation, c.schedulesFired ?? 0),
    cost(PRICES.sqsRequest, sqsRequestsOf(c)),
    ...lambda(c.lambdaInvocations, c.inLambdaSleepMs ?? 0, a),
    cost(PRICES.dynamoWrite, c.dynamo?.writeUnits ?? 0),
    cost(PRICES.dynamoRead, c.dynamo?.readUnits ?? 0),
  ];
  return lines.map((l) => ({ ...l, quantity: l.quantity / restores, usd: l.usd / restores }));
}

/**
 * The seed's data flow: every Lambda reads the operation's state item, writes it back and writes one
 * audit item. Items are assumed ≤ 1 KB (1 WRU) and reads eventually consistent (0.5 RRU), which
 * favours the baseline: our own items are measured, not assumed.
 */
export function baselineCost(c: DesignCounters, restores: number, a = DEFAULT_ASSUMPTIONS): CostLine[] {
  const lines = [
    cost(PRICES.stepFunctionsTransition, c.stateTransitions ?? 0),
    ...lambda(c.lambdaInvocations, 0, a),
    cost(PRICES.dynamoWrite, 2 * c.lambdaInvocations),
    cost(PRICES.dynamoRead, 0.5 * c.lambdaInvocations),
  ];
  return lines.map((l) => ({ ...l, quantity: l.quantity / restores, usd: l.usd / restores }));
}

export const totalUsd = (lines: CostLine[]) => lines.reduce((n, l) => n + l.usd, 0);

/**
 * The choreography's fixed cost: Lambda's SQS pollers long-poll every queue whether or not a restore
 * runs. Assumed 5 pollers × one 20 s long poll each = 15 ReceiveMessage a minute per queue (an estimate
 * of AWS's internal poller behaviour, not a published figure).
 */
export function idlePollingUsdPerMonth(queues: number, receivesPerMinute = 15): { requests: number; usd: number } {
  const requests = queues * receivesPerMinute * 60 * 24 * 30;
  return { requests, usd: (requests / PRICES.sqsRequest.per) * PRICES.sqsRequest.usd };
}
