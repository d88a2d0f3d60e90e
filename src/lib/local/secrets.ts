/**
 * The local Secrets Manager: secrets as JSON in `<dataDir>/secrets.json` (mode 0600), or in memory.
 * Behaves like the AWS adapter where the pipeline can tell: a missing secret throws the
 * `SecretNotFound` PipelineError, a put returns a stable ARN. Values are never logged.
 *
 * @example
 * const secrets = new LocalSecrets({ dataDir: '.aurora-restore' });
 * await secrets.seedDefaults();
 * const master = await secrets.getJson('aurora-restore/master-credentials');
 */
import { PipelineError } from '../errors';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Secrets } from '../ports';

export interface LocalSecretsOptions {
  /** Folder holding secrets.json; in memory when absent. */
  dataDir?: string;
  /** Region shown in ARNs, default us-east-1. */
  region?: string;
}

interface StoredSecret {
  arn: string;
  value: unknown;
  updatedAt: string;
}

interface SecretsFile {
  version: 1;
  secrets: Record<string, StoredSecret>;
}

/** Secrets Manager's name rule: 1-512 of letters, digits and /_+=.@- . */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const ARN_SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export const DEFAULT_MASTER_SECRET = 'aurora-restore/master-credentials';
export const DEFAULT_APP_SECRET = 'aurora-restore/app-credentials';

export class LocalSecrets implements Secrets {
  private readonly file?: string;
  private readonly region: string;
  private memory: SecretsFile = { version: 1, secrets: {} };
  /** Serialises read-modify-write cycles within this process. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: LocalSecretsOptions = {}) {
    this.file = options.dataDir ? join(options.dataDir, 'secrets.json') : undefined;
    this.region = options.region ?? 'us-east-1';
  }

  async getJson(name: string): Promise<unknown> {
    const stored = (await this.read()).secrets[name];
    // As the AWS adapter reports Secrets Manager's ResourceNotFoundException.
    if (!stored) throw new PipelineError('SecretNotFound', `secret ${name} does not exist`);
    return structuredClone(stored.value);
  }

  async putJson(name: string, value: unknown): Promise<{ arn: string }> {
    if (typeof name !== 'string' || !SECRET_NAME.test(name)) {
      throw new Error(`name: expected 1-512 characters of letters, digits and /_+=.@-, got ${JSON.stringify(name)}`);
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined;
    }
    if (json === undefined) throw new Error(`value of secret "${name}": expected a JSON-serialisable value`);
    return this.exclusive(async () => {
      const data = await this.read();
      // Like Secrets Manager, the ARN (and its random suffix) is fixed when the secret is created.
      const arn = data.secrets[name]?.arn ?? `arn:aws:secretsmanager:${this.region}:000000000000:secret:${name}-${arnSuffix()}`;
      data.secrets[name] = { arn, value: JSON.parse(json), updatedAt: new Date().toISOString() };
      await this.write(data);
      return { arn };
    });
  }

  /**
   * Creates the seed's master and application credentials when absent, and the scenario's other application
   * user secrets (secret name → username or usernames, random passwords); returns the names it created.
   */
  async seedDefaults(appUserSecrets: Record<string, string | string[]> = {}): Promise<string[]> {
    const defaults: [string, () => unknown][] = [
      [DEFAULT_MASTER_SECRET, () => ({ username: 'postgres', password: randomPassword() })],
      [DEFAULT_APP_SECRET, () => ({ username: 'app', password: randomPassword(), privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] })],
      ...Object.entries(appUserSecrets).map(([name, users]): [string, () => unknown] => [
        name,
        () => (Array.isArray(users) ? users.map((username) => ({ username, password: randomPassword() })) : { username: users, password: randomPassword() }),
      ]),
    ];
    const created: string[] = [];
    for (const [name, make] of defaults) {
      const exists = await this.exclusive(async () => name in (await this.read()).secrets);
      if (exists) continue;
      await this.putJson(name, make());
      created.push(name);
    }
    return created;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.queue.then(fn, fn);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Reads the file each time, so sequential CLI invocations see each other's secrets. */
  private async read(): Promise<SecretsFile> {
    if (!this.file) return this.memory;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, secrets: {} };
      throw err;
    }
    let data: SecretsFile;
    try {
      data = JSON.parse(text) as SecretsFile;
    } catch {
      // The parser's message can quote the file's content: name the file only.
      throw new Error(`${this.file}: expected JSON {"version":1,"secrets":{...}}`);
    }
    if (data?.version !== 1 || typeof data.secrets !== 'object' || data.secrets === null) {
      throw new Error(`${this.file}: expected JSON {"version":1,"secrets":{...}}`);
    }
    return data;
  }

  private async write(data: SecretsFile): Promise<void> {
    if (!this.file) {
      this.memory = data;
      return;
    }
    await mkdir(join(this.file, '..'), { recursive: true, mode: 0o700 });
    // Temp file (created 0600) then rename: readers never see half a file, nobody else can read it.
    const temp = `${this.file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temp, JSON.stringify(data, null, 2), { encoding: 'utf8', mode: 0o600 });
      await chmod(temp, 0o600); // mode is masked by umask on creation; make it exact
      await rename(temp, this.file);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}

/** 32 URL-safe characters (192 random bits). */
function randomPassword(): string {
  return randomBytes(24).toString('base64url');
}

/** Secrets Manager appends `-` and six random characters to a secret's name in its ARN. */
function arnSuffix(): string {
  return Array.from(randomBytes(6), (b) => ARN_SUFFIX_ALPHABET[b % ARN_SUFFIX_ALPHABET.length]).join('');
}
