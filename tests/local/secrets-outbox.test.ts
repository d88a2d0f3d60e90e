import { mkdtemp, readFile, rm, stat, writeFile, appendFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_APP_SECRET, DEFAULT_MASTER_SECRET, LocalSecrets } from '../../src/lib/local/secrets';
import { LocalOutbox, type OutboxMessage } from '../../src/lib/local/outbox';
import { classifyError } from '../../src/lib/errors';

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LocalSecrets', () => {
  it('reports a missing secret as the AWS adapter does: SecretNotFound, naming the secret', async () => {
    for (const secrets of [new LocalSecrets(), new LocalSecrets({ dataDir: dir })]) {
      const err = await failure(secrets.getJson('aurora-restore/nope'));
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toBe('PipelineError');
      expect(err.message).toContain('aurora-restore/nope');
      expect(classifyError(err).code).toBe('SecretNotFound');
    }
  });

  it('stores JSON values, returns a stable fake ARN and copies values in and out', async () => {
    const secrets = new LocalSecrets({ region: 'us-west-2' });
    const value = { username: 'app', password: 'pw-1', privileges: ['SELECT'] };
    const { arn } = await secrets.putJson('aurora-restore/clusters/c1/master', value);
    expect(arn).toMatch(/^arn:aws:secretsmanager:us-west-2:000000000000:secret:aurora-restore\/clusters\/c1\/master-[A-Za-z0-9]{6}$/);
    value.password = 'mutated';
    expect(await secrets.getJson('aurora-restore/clusters/c1/master')).toEqual({ username: 'app', password: 'pw-1', privileges: ['SELECT'] });
    const again = await secrets.putJson('aurora-restore/clusters/c1/master', { username: 'app', password: 'pw-2' });
    expect(again.arn).toBe(arn);
    const read = (await secrets.getJson('aurora-restore/clusters/c1/master')) as { password: string };
    read.password = 'changed by caller';
    expect(await secrets.getJson('aurora-restore/clusters/c1/master')).toEqual({ username: 'app', password: 'pw-2' });
  });

  it('rejects bad names and non-JSON values naming the field, not the value', async () => {
    const secrets = new LocalSecrets();
    await expect(secrets.putJson('has space', {})).rejects.toThrow(/^name: expected 1-512 characters/);
    await expect(secrets.putJson('', {})).rejects.toThrow(/^name:/);
    await expect(secrets.putJson('ok', undefined)).rejects.toThrow('value of secret "ok": expected a JSON-serialisable value');
    const cyclic: Record<string, unknown> = { password: 'Top-Secret' };
    cyclic.self = cyclic;
    const err = await failure(secrets.putJson('ok', cyclic));
    expect(err.message).not.toContain('Top-Secret');
  });

  it('persists in a 0600 file that a second instance reads, written atomically', async () => {
    const a = new LocalSecrets({ dataDir: join(dir, 'data') });
    const { arn } = await a.putJson('s1', { password: 'p1' });
    const file = join(dir, 'data', 'secrets.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, 'data'))).toEqual(['secrets.json']);
    const b = new LocalSecrets({ dataDir: join(dir, 'data') });
    expect(await b.getJson('s1')).toEqual({ password: 'p1' });
    expect((await b.putJson('s1', { password: 'p2' })).arn).toBe(arn);
    expect(await a.getJson('s1')).toEqual({ password: 'p2' });
  });

  it('keeps concurrent puts of different secrets (no lost update)', async () => {
    const s = new LocalSecrets({ dataDir: dir });
    await Promise.all(Array.from({ length: 10 }, (_, i) => s.putJson(`s${i}`, { i })));
    for (let i = 0; i < 10; i++) expect(await s.getJson(`s${i}`)).toEqual({ i });
  });

  it('names the file, not its content, when it is not valid JSON', async () => {
    await writeFile(join(dir, 'secrets.json'), '{"secrets": {"x": "Leaky-Secret"', 'utf8');
    const err = await failure(new LocalSecrets({ dataDir: dir }).getJson('x'));
    expect(err.message).toBe(`${join(dir, 'secrets.json')}: expected JSON {"version":1,"secrets":{...}}`);
  });

  it('seeds the master and app credentials once, with random passwords, and keeps existing ones', async () => {
    const s = new LocalSecrets({ dataDir: dir });
    await s.putJson(DEFAULT_APP_SECRET, { username: 'custom', password: 'mine', privileges: ['SELECT'] });
    expect(await s.seedDefaults()).toEqual([DEFAULT_MASTER_SECRET]);
    const master = (await s.getJson(DEFAULT_MASTER_SECRET)) as { username: string; password: string };
    expect(master.username).toBe('postgres');
    expect(master.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await s.getJson(DEFAULT_APP_SECRET)).toEqual({ username: 'custom', password: 'mine', privileges: ['SELECT'] });
    expect(await s.seedDefaults()).toEqual([]);
    expect(await s.getJson(DEFAULT_MASTER_SECRET)).toEqual(master);

    const fresh = new LocalSecrets();
    expect(await fresh.seedDefaults()).toEqual([DEFAULT_MASTER_SECRET, DEFAULT_APP_SECRET]);
    const app = (await fresh.getJson(DEFAULT_APP_SECRET)) as { username: string; password: string; privileges: string[] };
    expect(app).toMatchObject({ username: 'app', privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] });
    expect(app.password).not.toBe(((await fresh.getJson(DEFAULT_MASTER_SECRET)) as { password: string }).password);
  });
});

describe('LocalOutbox', () => {
  const note = (id: string, subject = 'Restore succeeded') => ({ subject, message: `operation ${id}`, attributes: { status: 'SUCCEEDED' }, deduplicationId: id });

  it('publishes, drops a repeat with the same deduplicationId (answering the first id) and lists in order', async () => {
    const seen: OutboxMessage[] = [];
    const at = new Date('2030-01-01T00:00:00Z');
    const outbox = new LocalOutbox({ onPublish: (m) => seen.push(m), clock: { now: () => at } });
    const first = await outbox.publish(note('op-1'));
    const repeat = await outbox.publish(note('op-1', 'a different subject'));
    const second = await outbox.publish(note('op-2'));
    expect(repeat.messageId).toBe(first.messageId);
    expect(second.messageId).not.toBe(first.messageId);
    const list = await outbox.list();
    expect(list.map((m) => [m.deduplicationId, m.subject, m.publishedAt])).toEqual([
      ['op-1', 'Restore succeeded', '2030-01-01T00:00:00.000Z'],
      ['op-2', 'Restore succeeded', '2030-01-01T00:00:00.000Z'],
    ]);
    expect(seen.map((m) => m.messageId)).toEqual([first.messageId, second.messageId]);
  });

  it('deduplicates concurrent repeats', async () => {
    const outbox = new LocalOutbox({ dataDir: dir });
    const ids = await Promise.all(Array.from({ length: 5 }, () => outbox.publish(note('op-x'))));
    expect(new Set(ids.map((r) => r.messageId)).size).toBe(1);
    expect((await readFile(join(dir, 'outbox.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('appends JSON lines that a later instance reads and keeps deduplicating against', async () => {
    const a = new LocalOutbox({ dataDir: dir });
    const first = await a.publish(note('op-1'));
    await a.publish(note('op-2'));
    const lines = (await readFile(join(dir, 'outbox.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.deduplicationId)).toEqual(['op-1', 'op-2']);

    const b = new LocalOutbox({ dataDir: dir });
    expect((await b.publish(note('op-1'))).messageId).toBe(first.messageId);
    await b.publish(note('op-3'));
    expect((await b.list()).map((m) => m.deduplicationId)).toEqual(['op-1', 'op-2', 'op-3']);
  });

  it('cuts off a partial last line left by a crash, and fails clearly on a corrupt line', async () => {
    const a = new LocalOutbox({ dataDir: dir });
    await a.publish(note('op-1'));
    await appendFile(join(dir, 'outbox.jsonl'), '{"messageId":"half', 'utf8');
    const b = new LocalOutbox({ dataDir: dir });
    await b.publish(note('op-2'));
    expect((await new LocalOutbox({ dataDir: dir }).list()).map((m) => m.deduplicationId)).toEqual(['op-1', 'op-2']);

    await writeFile(join(dir, 'outbox.jsonl'), 'not json\n', 'utf8');
    await expect(new LocalOutbox({ dataDir: dir }).list()).rejects.toThrow(`${join(dir, 'outbox.jsonl')}:1: expected one JSON notification per line`);
  });

  it('requires a deduplicationId', async () => {
    await expect(new LocalOutbox().publish({ ...note('x'), deduplicationId: '' })).rejects.toThrow('notification.deduplicationId: expected a non-empty string');
  });
});
