/**
 * Saved refresh profiles on the command line: `aurora-restore profiles list|show|save`, and `--refresh-profile
 * NAME` of `start` and `plan` (the profile's request under the flags: a flag given overrides the profile's field).
 * Locally the profiles are a JSON file (`--profiles-file`, else `<data folder>/profiles.json`, else the shipped
 * examples/profiles.json); with `--aws`, SSM Parameter Store parameters `<PROFILES_PATH><name>` of the deployment's
 * region. The flag is `--refresh-profile`, not `--profile`: `--profile` is the AWS profile of `--aws`.
 * A profile is validated when saved and when used (src/lib/profiles.ts); a bad one is one line naming the
 * profile and the field.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { packageRoot } from '../../lib/local/package-root';
import { LocalProfileStore } from '../../lib/local/profiles';
import type { ProfileStore } from '../../lib/ports';
import { MAX_PROFILE_BYTES, ProfileError, loadProfile, parseProfile } from '../../lib/profiles';
import { configSchema } from '../../schemas/config';
import { profileName } from '../../schemas/restore-request';
import { resolveDataFolder } from '../data-folder';
import { failure, notFound, usageError } from '../exit';
import { withAwsOptions, withJson } from '../flags';
import { out, printJson } from '../output';

export interface ProfileFlags {
  refreshProfile?: string;
  profilesFile?: string;
  profilesPath?: string;
  dataDir?: string;
  aws?: boolean;
  region?: string;
  stage?: string;
  profile?: string;
}

/** The shipped examples: what a data folder without its own profiles.json reads. */
export const EXAMPLE_PROFILES_FILE = () => join(packageRoot(), 'examples', 'profiles.json');

/** The default Parameter Store path (the stack's PROFILES_PATH default). */
const DEFAULT_PROFILES_PATH = '/aurora-restore/profiles/';

/** `--profiles-file` (local) and `--profiles-path` (with `--aws`). */
export function withProfileStoreOptions(cmd: Command): Command {
  return cmd
    .option('--profiles-file <file>', 'the local profiles file (default: <data folder>/profiles.json, else the shipped examples/profiles.json)')
    .option('--profiles-path <path>', `with --aws: the Parameter Store path of the profiles (default: PROFILES_PATH, else ${DEFAULT_PROFILES_PATH})`);
}

/** The local profiles file to read: the typed one, the data folder's, else the shipped examples. */
export function localProfilesFile(o: Pick<ProfileFlags, 'profilesFile' | 'dataDir'>, forWriting = false): string {
  if (o.profilesFile !== undefined) {
    if (o.profilesFile.trim() === '') throw usageError('--profiles-file: expected a file, got an empty value');
    return resolve(o.profilesFile);
  }
  const own = join(resolveDataFolder(o.dataDir).dir, 'profiles.json');
  return forWriting || existsSync(own) ? own : EXAMPLE_PROFILES_FILE();
}

/** Where the profiles are read from, and a label for messages. */
export async function profileStore(o: ProfileFlags): Promise<{ store: ProfileStore; where: string }> {
  if (!o.aws) {
    const file = localProfilesFile(o);
    if (o.profilesFile !== undefined && !existsSync(file)) throw usageError(`--profiles-file: ${file} does not exist`);
    return { store: guardedLocal(new LocalProfileStore(file)), where: file };
  }
  const path = o.profilesPath ?? process.env.PROFILES_PATH ?? DEFAULT_PROFILES_PATH;
  const checked = configSchema.shape.PROFILES_PATH.safeParse(path);
  if (!checked.success) throw usageError(`--profiles-path: ${checked.error.issues[0]?.message}, got "${path}"`);
  const { awsProblem, awsTarget } = await import('../aws');
  const target = await awsTarget(o);
  const { AwsProfileStore } = await import('../../lib/aws/profiles');
  const ssm = new AwsProfileStore({ path, region: target.region });
  const guard = <T>(p: Promise<T>) => p.catch((e) => Promise.reject(awsProblem(e, target, `parameters ${path}`)));
  return { store: { get: (name) => guard(ssm.get(name)), list: () => guard(ssm.list()) }, where: `Parameter Store ${path} in ${target.region}` };
}

/** A profiles file that is not JSON of the expected shape: one line naming the file. */
function guardedLocal(store: LocalProfileStore): ProfileStore {
  const guard = <T>(p: Promise<T>) => p.catch((e: Error) => Promise.reject(usageError(`profiles file ${e.message}`)));
  return { get: (name) => guard(store.get(name)), list: () => guard(store.list()) };
}

/**
 * `--refresh-profile NAME`: the profile's request (as saved, with `profile: NAME`) for the flags to go over,
 * and the name messages give its fields. Unknown or invalid: a usage error naming the profile and the field.
 */
export async function profileDefaults(o: ProfileFlags): Promise<{ defaults: Record<string, unknown>; defaultsName: string } | undefined> {
  if (o.refreshProfile === undefined) return undefined;
  const { store, where } = await profileStore(o);
  try {
    const saved = await loadProfile(store, o.refreshProfile);
    return { defaults: { ...saved.request, profile: saved.name }, defaultsName: `profile ${saved.name}: request` };
  } catch (e) {
    if (!(e instanceof ProfileError)) throw e;
    if (e.notFound) throw notFound(`--refresh-profile: no saved profile named ${o.refreshProfile} in ${where} (aurora-restore profiles list${o.aws ? ' --aws' : ''})`);
    throw usageError(`--refresh-profile: ${e.message}`);
  }
}

export function profilesCommand(): Command {
  const cmd = new Command('profiles').description('saved refresh profiles: named restore requests (locally a profiles file, with --aws Parameter Store)');
  const common = (c: Command) => {
    c.option('--data-dir <dir>', 'data folder whose profiles.json to use');
    withProfileStoreOptions(c);
    withAwsOptions(c, 'read the deployed profiles from SSM Parameter Store');
    return c;
  };

  const list = common(withJson(new Command('list').description('list the saved profiles (each validated)'), 'print JSON'));
  list.action(async (o) => {
    const { store, where } = await profileStore(o);
    const rows = (await store.list()).map(({ name, value }) => {
      try {
        const p = parseProfile(name, value);
        return { name, valid: true as const, target: `${p.parsed.targetClusterId} (${p.parsed.targetRegion})`, schedule: p.schedule ?? null, description: p.description ?? '' };
      } catch (e) {
        return { name, valid: false as const, error: (e as Error).message };
      }
    });
    if (o.json) return printJson(rows);
    if (rows.length === 0) return out(`no saved profiles in ${where}`);
    for (const r of rows) {
      out(r.valid ? `${r.name.padEnd(24)} ${r.target.padEnd(34)} ${(r.schedule ?? 'no schedule').padEnd(20)} ${r.description}` : `${r.name.padEnd(24)} INVALID: ${r.error}`);
    }
  });

  const show = common(new Command('show').description('print a saved profile (validated) as JSON').argument('<name>', 'the profile'));
  show.action(async (name: string, o) => {
    const { store, where } = await profileStore(o);
    try {
      const p = await loadProfile(store, name);
      printJson({ name, description: p.description, schedule: p.schedule, timezone: p.timezone, request: p.request });
    } catch (e) {
      if (!(e instanceof ProfileError)) throw e;
      if (e.notFound) throw notFound(`name: no saved profile named ${name} in ${where}`);
      throw usageError(e.message);
    }
  });

  const save = new Command('save')
    .description('validate a profile (JSON {description?, schedule?, timezone?, request}) and save it in the local profiles file')
    .argument('<name>', 'the profile (lowercase letters, digits, hyphens)')
    .requiredOption('--file <file>', 'the profile as JSON')
    .option('--data-dir <dir>', 'data folder whose profiles.json to write')
    .option('--profiles-file <file>', 'the profiles file to write instead');
  save.action(async (name: string, o) => {
    const n = profileName.safeParse(name);
    if (!n.success) throw usageError(`name: ${n.error.issues[0]?.message}, got "${name}"`);
    let value: unknown;
    try {
      value = JSON.parse(await readFile(resolve(o.file), 'utf8'));
    } catch (e) {
      throw usageError(`--file: expected a readable JSON file (${(e as NodeJS.ErrnoException).code ?? 'not JSON'})`);
    }
    try {
      parseProfile(name, value);
    } catch (e) {
      if (e instanceof ProfileError) throw usageError(`--file: ${e.message}`);
      throw e;
    }
    const file = localProfilesFile(o, true);
    const store = new LocalProfileStore(file);
    // A data folder's first profile: start from the shipped examples so they stay listed.
    if (o.profilesFile === undefined && !existsSync(file)) {
      for (const { name: n2, value: v } of await new LocalProfileStore(EXAMPLE_PROFILES_FILE()).list()) await store.put(n2, v);
    }
    try {
      await store.put(name, value);
    } catch (e) {
      throw failure(`could not write ${file}: ${(e as Error).message}`);
    }
    out(`profile ${name} saved in ${file} (at most ${MAX_PROFILE_BYTES} bytes of JSON, so that it fits one Parameter Store parameter)`);
  });

  cmd.addCommand(list);
  cmd.addCommand(show);
  cmd.addCommand(save);
  cmd.addHelpText(
    'after',
    `
Examples:
  aurora-restore profiles list
  aurora-restore profiles show staging-orders
  aurora-restore profiles save billing-qa --file billing-qa.json
  aurora-restore start --refresh-profile staging-orders --target-cluster aurora-dev
  aurora-restore profiles list --aws --stage prod --region us-east-1
`,
  );
  return cmd;
}
