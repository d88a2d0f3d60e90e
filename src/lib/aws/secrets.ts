import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PipelineError, isFault } from '../errors';
import type { Secrets } from '../ports';
import { sdkClientOptions, toTagList } from './client-options';

export interface AwsSecretsOptions {
  client?: SecretsManagerClient;
  /** KMS key new secrets are encrypted with (KMS_KEY_ID); the account's default key when absent. */
  kmsKeyId?: string;
  /** Tags put on secrets this adapter creates. */
  tags?: Record<string, string>;
  maxAttempts?: number;
}

/** A secret we could read but not use. Its message names the secret, never its value. */
export class SecretFormatError extends Error {
  constructor(
    readonly secretName: string,
    expected: string,
  ) {
    super(`secret ${secretName}: expected ${expected}`);
    this.name = 'SecretFormatError';
  }
}

/**
 * JSON secrets in Secrets Manager. Its "not found" (ResourceNotFoundException) and "cannot decrypt"
 * (DecryptionFailure: "Secrets Manager can't decrypt the protected secret text using the provided KMS
 * key.") answers become SecretNotFound / SecretDecryptionFailed here — only Secrets Manager's own
 * ResourceNotFoundException means a missing secret. Other SDK errors propagate unchanged; none carries
 * the secret's value.
 */
export class AwsSecrets implements Secrets {
  private readonly client: SecretsManagerClient;

  constructor(private readonly options: AwsSecretsOptions = {}) {
    this.client = options.client ?? new SecretsManagerClient(sdkClientOptions({ maxAttempts: options.maxAttempts }));
  }

  async getJson(name: string): Promise<unknown> {
    let out;
    try {
      out = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
    } catch (err) {
      if (isFault(err, 'ResourceNotFoundException')) throw new PipelineError('SecretNotFound', `secret ${name} does not exist`);
      if (isFault(err, 'DecryptionFailure')) {
        throw new PipelineError('SecretDecryptionFailed', `secret ${name} cannot be decrypted: the function may not use its KMS key (kms:Decrypt via Secrets Manager)`);
      }
      throw err;
    }
    if (typeof out.SecretString !== 'string') throw new SecretFormatError(name, 'SecretString with JSON text, got none (binary or empty secret)');
    try {
      return JSON.parse(out.SecretString);
    } catch {
      // The SyntaxError is dropped on purpose: V8 quotes the start of the input in its message.
      throw new SecretFormatError(name, 'SecretString to be JSON text, got text that does not parse');
    }
  }

  async putJson(name: string, value: unknown): Promise<{ arn: string }> {
    const SecretString = JSON.stringify(value);
    try {
      return await this.putValue(name, SecretString);
    } catch (err) {
      if (!isFault(err, 'ResourceNotFoundException')) throw err;
    }
    try {
      const out = await this.client.send(
        new CreateSecretCommand({
          Name: name,
          SecretString,
          ...(this.options.kmsKeyId ? { KmsKeyId: this.options.kmsKeyId } : {}),
          ...(this.options.tags && Object.keys(this.options.tags).length ? { Tags: toTagList(this.options.tags) } : {}),
        }),
      );
      return { arn: arnOf(out.ARN, 'CreateSecret') };
    } catch (err) {
      // Created meanwhile by a concurrent run of the same step: store the value as a new version.
      if (isFault(err, 'ResourceExistsException')) return this.putValue(name, SecretString);
      throw err;
    }
  }

  private async putValue(name: string, SecretString: string): Promise<{ arn: string }> {
    const out = await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString }));
    return { arn: arnOf(out.ARN, 'PutSecretValue') };
  }
}

function arnOf(arn: string | undefined, operation: string): string {
  if (!arn) throw new Error(`${operation}: expected ARN in the response, got none`);
  return arn;
}
