import {
  CreateSecretCommand,
  DecryptionFailure,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsSecrets, SecretFormatError } from '../../src/lib/aws/secrets';
import { classifyError } from '../../src/lib/errors';
import { TEST_CREDENTIALS, useDummyAwsEnv } from './sdk-test-env';

const NAME = 'aurora-restore/clusters/aurora-staging/master';
const ARN = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${NAME}-AbCdEf`;
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/pipeline-key';
const PASSWORD = 'Sup3r-S3cret-Pa55word';
const meta = { $metadata: {} };

describe('AwsSecrets', () => {
  let mock: AwsStub<any, any, any>;
  const client = new SecretsManagerClient({ region: 'us-east-1', credentials: TEST_CREDENTIALS });
  beforeAll(useDummyAwsEnv);
  beforeEach(() => {
    mock = mockClient(SecretsManagerClient);
  });
  afterEach(() => mock.restore());

  it('getJson parses the SecretString', async () => {
    mock.on(GetSecretValueCommand, { SecretId: NAME }).resolves({ SecretString: JSON.stringify({ username: 'postgres', password: PASSWORD }) });
    expect(await new AwsSecrets({ client }).getJson(NAME)).toEqual({ username: 'postgres', password: PASSWORD });
  });

  it('a secret that is not JSON gives an error naming the secret, never its value', async () => {
    const notJson = `password=${PASSWORD}`;
    mock.on(GetSecretValueCommand).resolves({ SecretString: notJson });
    const err = (await new AwsSecrets({ client }).getJson(NAME).catch((e: unknown) => e)) as SecretFormatError;
    expect(err).toBeInstanceOf(SecretFormatError);
    expect(err.message).toContain(NAME);
    const everything = JSON.stringify({ message: err.message, stack: err.stack, cause: String(err.cause), own: { ...err } });
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain('password=');
  });

  it('a binary secret gives an error naming the secret', async () => {
    mock.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2]) });
    await expect(new AwsSecrets({ client }).getJson(NAME)).rejects.toThrow(`secret ${NAME}: expected SecretString`);
  });

  it("Secrets Manager's ResourceNotFoundException is SecretNotFound, its DecryptionFailure SecretDecryptionFailed — both terminal", async () => {
    mock.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'not found', ...meta }));
    const missing = await new AwsSecrets({ client }).getJson(NAME).catch((e: unknown) => e);
    expect(classifyError(missing)).toMatchObject({ code: 'SecretNotFound', retryable: false });
    expect((missing as Error).message).toContain(NAME);
    mock.on(GetSecretValueCommand).rejects(new DecryptionFailure({ message: "Secrets Manager can't decrypt the protected secret text using the provided KMS key.", ...meta }));
    const undecryptable = await new AwsSecrets({ client }).getJson(NAME).catch((e: unknown) => e);
    expect(classifyError(undecryptable)).toMatchObject({ code: 'SecretDecryptionFailed', retryable: false });
  });

  it("another service's ResourceNotFoundException (a missing DynamoDB table) is not a missing secret", () => {
    const table = Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
    expect(classifyError(table).code).toBe('InternalError');
  });

  it('putJson stores a new version of an existing secret', async () => {
    mock.on(PutSecretValueCommand).resolves({ ARN });
    expect(await new AwsSecrets({ client, kmsKeyId: KEY }).putJson(NAME, { password: PASSWORD })).toEqual({ arn: ARN });
    expect(mock.commandCalls(PutSecretValueCommand)[0].args[0].input).toEqual({ SecretId: NAME, SecretString: JSON.stringify({ password: PASSWORD }) });
    expect(mock.commandCalls(CreateSecretCommand)).toHaveLength(0);
  });

  it('putJson creates the secret with the KMS key and tags when it does not exist', async () => {
    mock.on(PutSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'no secret', ...meta }));
    mock.on(CreateSecretCommand).resolves({ ARN });
    const secrets = new AwsSecrets({ client, kmsKeyId: KEY, tags: { 'managed-by': 'aurora-restore' } });
    expect(await secrets.putJson(NAME, { password: PASSWORD })).toEqual({ arn: ARN });
    expect(mock.commandCalls(CreateSecretCommand)[0].args[0].input).toEqual({
      Name: NAME,
      SecretString: JSON.stringify({ password: PASSWORD }),
      KmsKeyId: KEY,
      Tags: [{ Key: 'managed-by', Value: 'aurora-restore' }],
    });
  });

  it('putJson stores a version when a concurrent run created the secret first', async () => {
    mock
      .on(PutSecretValueCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'no secret', ...meta }))
      .resolves({ ARN });
    mock.on(CreateSecretCommand).rejects(new ResourceExistsException({ message: 'exists', ...meta }));
    expect(await new AwsSecrets({ client }).putJson(NAME, { password: PASSWORD })).toEqual({ arn: ARN });
    expect(mock.commandCalls(PutSecretValueCommand)).toHaveLength(2);
  });

  it('putJson propagates other errors without creating', async () => {
    mock.on(PutSecretValueCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(new AwsSecrets({ client }).putJson(NAME, { password: PASSWORD })).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(mock.commandCalls(CreateSecretCommand)).toHaveLength(0);
  });
});
