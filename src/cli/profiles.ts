/**
 * `aurora-restore profiles list|show|save` and `start --profile NAME`: saved refresh profiles, locally in the
 * data folder's profiles.json (seeded from examples/profiles.json when absent), on AWS (`--aws`) in SSM Parameter
 * Store under PROFILES_PATH. A profile is validated when saved and when used (src/lib/profiles.ts).
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { packageRoot } from '../lib/local/package-root';
import { LocalProfileStore } from '../lib/local/profiles';
import type { ProfileStore } from '../lib/ports';
import { ProfileError, parseProfile } from '../lib/profiles';

const out = (s: string) => process.stdout.write(`${s}\n`);

/** A bad profile or flag: the CLI's usage error (exit 2) with this message. */
export class ProfileUsageError extends Error {}

/** The local store: `--profiles-file`, else `<data dir>/profiles.json`, seeded from the shipped examples on first use. */
export async function localProfiles(o: { dataDir: string; profilesFile?: string }): Promise<LocalProfileStore> {
  if (o.profilesFile) return new LocalProfileStore(resolve(o.profilesFile));
  const file = join(resolve(o.dataDir), 'profiles.json');
  if (!existsSync(file)) {
    await mkdir(resolve(o.dataDir), { recursive: true });
    await copyFile(join(packageRoot(), 'examples', 'profiles.json'), file);
  }
  return new LocalProfileStore(file);
}

export async function awsProfiles(): Promise<ProfileStore> {
  const { AwsProfileStore } = await import('../lib/aws/profiles');
  return new AwsProfileStore({ path: process.env.PROFILES_PATH ?? '/aurora-restore/profiles/' });
}

/** The request `start --profile NAME` runs: the profile's, validated, with the flags' fields over it. */
export async function profileRequest(store: ProfileStore, name: string): Promise<Record<string, unknown>> {
  const value = await store.get(name);
  if (value === undefined) throw new ProfileUsageError(`--profile: no saved profile named ${name} (aurora-restore profiles list)`);
  try {
    return { ...parseProfile(name, value).request, profile: name };
  } catch (e) {
    if (e instanceof ProfileError) throw new ProfileUsageError(`--profile: ${e.message}`);
    throw e;
  }
}

export function profilesCommand(program: Command): void {
  const profiles = program.command('profiles').description('saved refresh profiles: named restore requests, each with an optional schedule');
  const where = (cmd: Command) =>
    cmd
      .option('--data-dir <dir>', 'folder where local state persists (its profiles.json)', '.aurora-restore')
      .option('--profiles-file <file>', 'the profiles file to use instead of <data-dir>/profiles.json')
      .option('--aws', 'read the deployed profiles from SSM Parameter Store (PROFILES_PATH)');
  const store = (o: { aws?: boolean; dataDir: string; profilesFile?: string }) => (o.aws ? awsProfiles() : localProfiles(o));

  where(profiles.command('list').description('list the saved profiles').option('--json', 'print JSON')).action(async (o) => {
    const all = await (await store(o)).list();
    const rows = all.map(({ name, value }) => {
      try {
        const p = parseProfile(name, value);
        return { name, valid: true, schedule: p.schedule ?? null, target: `${p.parsed.targetClusterId} (${p.parsed.targetRegion})`, description: p.description ?? '' };
      } catch (e) {
        return { name, valid: false, error: (e as Error).message };
      }
    });
    if (o.json) return out(JSON.stringify(rows, null, 2));
    if (rows.length === 0) return out('no saved profiles');
    for (const r of rows) out('valid' in r && r.valid ? `${r.name.padEnd(24)} ${String(r.target).padEnd(34)} ${r.schedule ?? 'no schedule'}  ${r.description}` : `${r.name.padEnd(24)} INVALID: ${(r as { error: string }).error}`);
  });

  where(profiles.command('show').description('print a saved profile (validated) as JSON').argument('<name>')).action(async (name: string, o) => {
    const value = await (await store(o)).get(name);
    if (value === undefined) throw new ProfileUsageError(`name: no saved profile named ${name}`);
    try {
      const p = parseProfile(name, value);
      out(JSON.stringify({ name, description: p.description, schedule: p.schedule, timezone: p.timezone, request: p.request }, null, 2));
    } catch (e) {
      throw new ProfileUsageError((e as Error).message);
    }
  });

  profiles
    .command('save')
    .description('validate a profile (JSON: {description?, schedule?, timezone?, request}) and save it locally')
    .argument('<name>')
    .requiredOption('--file <file>', 'the profile as JSON')
    .option('--data-dir <dir>', 'folder where local state persists (its profiles.json)', '.aurora-restore')
    .option('--profiles-file <file>', 'the profiles file to use instead of <data-dir>/profiles.json')
    .action(async (name: string, o) => {
      let value: unknown;
      try {
        value = JSON.parse(await readFile(resolve(o.file), 'utf8'));
      } catch (e) {
        throw new ProfileUsageError(`--file: expected a readable JSON file (${(e as NodeJS.ErrnoException).code ?? 'not JSON'})`);
      }
      try {
        parseProfile(name, value);
      } catch (e) {
        throw new ProfileUsageError((e as Error).message);
      }
      await (await localProfiles(o)).put(name, value);
      out(`profile ${name} saved`);
    });
}
