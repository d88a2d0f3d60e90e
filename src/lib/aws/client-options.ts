/**
 * Options every AWS SDK v3 client of the pipeline is built with: the SDK's adaptive retry mode
 * (client-side rate limiting on throttling answers, which protects the RDS API quotas when many
 * operations run at once), a bounded number of attempts, and bounded waits on the network. Pipeline-level
 * retries (withRetry, re-delivery from SQS) sit on top of these.
 *
 * Timeouts: the SDK's Node.js handler waits forever by default ("connectionTimeout … Defaults to 0, which
 * disables the timeout"; the same for requestTimeout), so a stalled connection would hold the function
 * until its own timeout and the whole batch would be redelivered. Since @smithy/node-http-handler 4.4 a
 * breached requestTimeout only logs a warning "unless throwOnRequestTimeout=true, in which case a
 * TimeoutError will be thrown" — a TimeoutError the adaptive retry then retries. The options object is the
 * SDK's documented shorthand for the handler's constructor options ("As of v3.521.0 … you can use the
 * following shorthand syntax to configure requestHandler", SDK developer guide).
 */
export const DEFAULT_MAX_ATTEMPTS = 5;
/** Establishing a connection (TCP + TLS) to an AWS endpoint; VPC endpoints and NAT answer in milliseconds. */
export const CONNECTION_TIMEOUT_MS = 5_000;
/**
 * One attempt, request sent to response read. The pipeline's calls are control-plane calls that answer in
 * well under a second; 30 s leaves room for a slow one while five attempts (150 s) stay within the
 * functions' 300 s timeout.
 */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface SdkClientOptions {
  region?: string;
  retryMode: 'adaptive';
  maxAttempts: number;
  requestHandler: { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: true };
}

export function sdkClientOptions(
  options: { region?: string; maxAttempts?: number; connectionTimeoutMs?: number; requestTimeoutMs?: number } = {},
): SdkClientOptions {
  return {
    ...(options.region ? { region: options.region } : {}),
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  };
}

/** `{ a: '1' }` → `[{ Key: 'a', Value: '1' }]`, the tag list shape shared by RDS, SNS and Secrets Manager. */
export function toTagList(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** The reverse of toTagList; entries without a key are dropped. */
export function fromTagList(list: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of list ?? []) if (t.Key) out[t.Key] = t.Value ?? '';
  return out;
}
