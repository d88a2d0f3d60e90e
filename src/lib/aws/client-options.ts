/**
 * Options every AWS SDK v3 client of the pipeline is built with: the SDK's adaptive retry mode
 * (client-side rate limiting on throttling answers, which protects the RDS API quotas when many
 * operations run at once) and a bounded number of attempts. Pipeline-level retries (withRetry,
 * re-delivery from SQS) sit on top of these.
 */
export const DEFAULT_MAX_ATTEMPTS = 5;

export interface SdkClientOptions {
  region?: string;
  retryMode: 'adaptive';
  maxAttempts: number;
}

export function sdkClientOptions(options: { region?: string; maxAttempts?: number } = {}): SdkClientOptions {
  return {
    ...(options.region ? { region: options.region } : {}),
    retryMode: 'adaptive',
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
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
