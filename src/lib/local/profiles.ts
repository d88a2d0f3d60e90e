/**
 * The local profile store: saved refresh profiles in a JSON file (`{"version":1,"profiles":{"<name>":{…}}}`),
 * by default `aurora-restore.profiles.json` in the data folder. Written atomically (temporary file, rename);
 * profiles hold no secret values.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ProfileStore } from '../ports';

interface ProfilesFile {
  version: 1;
  profiles: Record<string, unknown>;
}

export class LocalProfileStore implements ProfileStore {
  private memory: ProfilesFile = { version: 1, profiles: {} };

  /** In memory when no file is given. */
  constructor(readonly file?: string) {}

  async get(name: string): Promise<unknown | undefined> {
    return (await this.read()).profiles[name];
  }

  async list(): Promise<{ name: string; value: unknown }[]> {
    const { profiles } = await this.read();
    return Object.keys(profiles)
      .sort()
      .map((name) => ({ name, value: profiles[name] }));
  }

  /** Stores a (validated) profile under its name. */
  async put(name: string, value: unknown): Promise<void> {
    const data = await this.read();
    data.profiles[name] = value;
    if (!this.file) return;
    await mkdir(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(data, null, 2)}\n`);
    await rename(temp, this.file);
  }

  private async read(): Promise<ProfilesFile> {
    if (!this.file) return this.memory;
    if (!existsSync(this.file)) return { version: 1, profiles: {} };
    let data: ProfilesFile;
    try {
      data = JSON.parse(await readFile(this.file, 'utf8')) as ProfilesFile;
    } catch {
      throw new Error(`${this.file}: expected JSON {"version":1,"profiles":{...}}`);
    }
    if (data?.version !== 1 || typeof data.profiles !== 'object' || data.profiles === null) throw new Error(`${this.file}: expected JSON {"version":1,"profiles":{...}}`);
    return data;
  }
}
