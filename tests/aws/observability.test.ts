import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, createMetrics } from '../../src/lib/aws/observability';
import { isSensitiveKey } from '../../src/lib/redact';

const PASSWORD = 'Sup3r-S3cret-Pa55word';

/** Captures what Powertools writes (its Console writes to process.stdout / process.stderr). */
function captureOutput() {
  const lines: string[] = [];
  const grab = (chunk: unknown) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(grab as never);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(grab as never);
  return { lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, any>), restore: () => (out.mockRestore(), err.mockRestore()) };
}

describe('createLogger', () => {
  let cap: ReturnType<typeof captureOutput>;
  beforeEach(() => {
    delete process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_LOG_LEVEL;
    delete process.env.AWS_LAMBDA_LOG_LEVEL;
    cap = captureOutput();
  });
  afterEach(() => cap.restore());

  it('writes structured JSON with the service and the extra fields', () => {
    createLogger({ serviceName: 'aurora-restore', logLevel: 'INFO' }).info('cluster available', { clusterId: 'aurora-staging', port: 5432 });
    const [line] = cap.json();
    expect(line).toMatchObject({ level: 'INFO', message: 'cluster available', service: 'aurora-restore', clusterId: 'aurora-staging', port: 5432 });
  });

  it('replaces values under password/secret/token keys with "***", at any depth', () => {
    const logger = createLogger({ serviceName: 'aurora-restore', logLevel: 'DEBUG' });
    logger.info('configured users', {
      masterPassword: PASSWORD,
      users: [{ username: 'app', password: PASSWORD }],
      credentials: { SecretString: PASSWORD, sessionToken: PASSWORD },
      masterSecretName: 'aurora-restore/master',
    });
    logger.error('failed', { db: { Password: PASSWORD } });
    expect(cap.lines.join('\n')).not.toContain(PASSWORD);
    const [info, error] = cap.json();
    expect(info.masterPassword).toBe('***');
    expect(info.users[0]).toEqual({ username: 'app', password: '***' });
    expect(info.credentials).toEqual({ SecretString: '***', sessionToken: '***' });
    expect(info.masterSecretName).toBe('aurora-restore/master');
    expect(error.db).toEqual({ Password: '***' });
  });

  it('withOperation stamps every line of the child, not of the parent', () => {
    const logger = createLogger({ serviceName: 'aurora-restore', logLevel: 'INFO' });
    const a = logger.withOperation('restore-20261124-020000-aaaaaa');
    const b = logger.withOperation('restore-20261124-020000-bbbbbb');
    a.info('one', { password: PASSWORD });
    b.warn('two');
    logger.info('three');
    const [one, two, three] = cap.json();
    expect(one).toMatchObject({ operationId: 'restore-20261124-020000-aaaaaa', password: '***' });
    expect(two).toMatchObject({ level: 'WARN', operationId: 'restore-20261124-020000-bbbbbb' });
    expect(three.operationId).toBeUndefined();
    expect(cap.lines.join('\n')).not.toContain(PASSWORD);
  });

  it('honours the log level', () => {
    const logger = createLogger({ serviceName: 's', logLevel: 'WARN' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    expect(cap.json().map((l) => l.message)).toEqual(['w']);
    createLogger({ serviceName: 's', logLevel: 'SILENT' }).error('e');
    expect(cap.lines).toHaveLength(1);
  });

  it('isSensitiveKey keeps names and ARNs of secrets', () => {
    expect(['password', 'MasterUserPassword', 'clientSecret', 'token', 'SecretString'].every(isSensitiveKey)).toBe(true);
    expect(['masterSecretName', 'secretArn', 'username', 'operationId'].some(isSensitiveKey)).toBe(false);
  });
});

describe('createMetrics', () => {
  let cap: ReturnType<typeof captureOutput>;
  beforeEach(() => {
    delete process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_METRICS_DISABLED;
    cap = captureOutput();
  });
  afterEach(() => cap.restore());

  it('buffers until flush, then writes EMF lines per dimension set', () => {
    const metrics = createMetrics({ namespace: 'AuroraRestore', serviceName: 'aurora-restore' });
    metrics.count('RestoreSucceeded');
    metrics.count('StepRetried', 2, { step: 'copy-snapshot' });
    metrics.count('StepRetried', 1, { step: 'copy-snapshot' });
    metrics.seconds('RestoreDuration', 2400);
    expect(cap.lines).toHaveLength(0);
    metrics.flush();
    const emf = cap.json();
    expect(emf).toHaveLength(2);
    const plain = emf.find((l) => l.RestoreSucceeded !== undefined)!;
    expect(plain).toMatchObject({ service: 'aurora-restore', RestoreSucceeded: 1, RestoreDuration: 2400 });
    expect(plain._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'AuroraRestore', Dimensions: [['service']] });
    expect(plain._aws.CloudWatchMetrics[0].Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'RestoreSucceeded', Unit: 'Count' },
        { Name: 'RestoreDuration', Unit: 'Seconds' },
      ]),
    );
    const byStep = emf.find((l) => l.StepRetried !== undefined)!;
    expect(byStep).toMatchObject({ service: 'aurora-restore', step: 'copy-snapshot', StepRetried: [2, 1] });
    expect(byStep._aws.CloudWatchMetrics[0].Dimensions[0]).toEqual(expect.arrayContaining(['service', 'step']));
  });

  it('flush with nothing buffered writes nothing, and a second flush does not repeat', () => {
    const metrics = createMetrics({ namespace: 'AuroraRestore', serviceName: 'aurora-restore' });
    metrics.flush();
    expect(cap.lines).toHaveLength(0);
    metrics.count('X');
    metrics.flush();
    metrics.flush();
    expect(cap.lines).toHaveLength(1);
  });
});
