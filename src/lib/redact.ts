/**
 * The one rule for what never reaches a log, an audit line or a notification: values under keys that
 * look like a password, secret or token. Keys that only name or point at a secret (masterSecretName,
 * secretArn) identify it without revealing it and are kept.
 */
export const REDACTED = '***';
const SENSITIVE_KEY = /password|secret|token/i;
const IDENTIFYING_KEY = /(name|arn)$/i;

/** True when a value stored under `key` must be replaced by "***". */
export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key) && !IDENTIFYING_KEY.test(key);
}

/** A copy of `value` with every sensitive field, at any depth, replaced by "***". */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSensitiveKey(k) && v !== undefined && v !== null ? REDACTED : redactSecrets(v)]));
  }
  return value;
}
