/**
 * The local data folder: where it is (the `--data-dir` typed, or `.aurora-restore` in this folder or the
 * nearest one above that has it, else in the project root), whether it can be used (a folder, on disk,
 * writable), who holds it (a lock: one command that writes at a time), and which scenario it belongs to
 * (remembered in scenario.json: read-only commands need no `--scenario`, and a different one is refused
 * unless `--reset` is asked for).
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import lockfile from 'proper-lockfile';
import { DEFAULT_SCENARIO, loadScenarioFile, type Scenario } from '../lib/local/scenario';
import { scenarioHash } from '../lib/local/data-files';
import { failure, usageError } from './exit';
import { DEFAULT_DATA_DIR } from './flags';

export interface DataFolder {
  dir: string;
  /** Whether the user typed `--data-dir` (messages name the flag only then). */
  typed: boolean;
}

/** How messages name the folder: `--data-dir: <dir>` when typed, `data folder <dir>` otherwise. */
export const folderLabel = (f: DataFolder) => (f.typed ? `--data-dir: ${f.dir}` : `data folder ${f.dir} (pass --data-dir to choose another)`);

/** The folder to use: the typed one, else `.aurora-restore` here or in the nearest folder above that has it, else in the project root (nearest package.json), else here. */
export function resolveDataFolder(typed: string | undefined, cwd = process.cwd()): DataFolder {
  if (typed !== undefined) {
    if (typed.trim() === '') throw usageError('--data-dir: expected a folder, got an empty value');
    return { dir: resolve(cwd, typed), typed: true };
  }
  let projectRoot: string | undefined;
  for (let d = resolve(cwd); ; d = dirname(d)) {
    const candidate = join(d, DEFAULT_DATA_DIR);
    if (isDirectory(candidate)) return { dir: candidate, typed: false };
    if (!projectRoot && existsSync(join(d, 'package.json'))) projectRoot = d;
    if (dirname(d) === d) break;
  }
  return { dir: join(projectRoot ?? resolve(cwd), DEFAULT_DATA_DIR), typed: false };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Virtual file systems: writing state there hangs or means nothing. */
const VIRTUAL_ROOTS = ['/proc', '/sys', '/dev'];

/** The nearest existing path at or above `p`, resolved through symbolic links. */
function existingAncestor(p: string): string {
  for (let d = p; ; d = dirname(d)) {
    try {
      return realpathSync(d);
    } catch {
      if (dirname(d) === d) return d;
    }
  }
}

/**
 * Checks the folder can hold local state; creates it when `write`. Every problem is one line naming the
 * flag: a file where the folder should be, a virtual file system, no permission.
 */
export async function checkDataFolder(f: DataFolder, mode: 'read' | 'write'): Promise<void> {
  const real = existingAncestor(f.dir);
  const root = VIRTUAL_ROOTS.find((r) => real === r || real.startsWith(`${r}/`));
  if (root) throw usageError(`${folderLabel(f)} is on the virtual file system ${root}; choose a folder on disk`);
  let isFile = false;
  try {
    isFile = !statSync(f.dir).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw usageError(`${folderLabel(f)}: a part of the path is a file, expected folders`);
    if (code !== 'ENOENT') throw usageError(`${folderLabel(f)}: cannot read it (${code})`);
  }
  if (isFile) throw usageError(`${folderLabel(f)} is a file; expected a folder`);
  if (mode === 'read') return;
  try {
    await mkdir(f.dir, { recursive: true });
    await access(f.dir, constants.W_OK | constants.R_OK | constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : code === 'ENOTDIR' ? 'a part of the path is a file' : code;
    throw usageError(`${folderLabel(f)}: cannot write there (${why})`);
  }
}

interface Holder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

const LOCK_DIR = '.lock';
const HOLDER_FILE = '.lock-holder.json';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the folder for a command that writes (start, watch of a running operation, replay): one at a
 * time, so two commands never interleave their saves and lose an operation. A lock left by a process
 * that is gone (killed) is taken over. Returns the release function.
 */
export async function lockDataFolder(f: DataFolder, command: string): Promise<() => Promise<void>> {
  const options = {
    lockfilePath: join(f.dir, LOCK_DIR),
    realpath: false,
    stale: 60_000,
    update: 10_000,
    retries: 0,
    // A compromised lock (its mtime could not be refreshed in time) is noticed at release; the command goes on.
    onCompromised: () => undefined,
  };
  const holderFile = join(f.dir, HOLDER_FILE);
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(f.dir, options);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
    const holder = await readHolder(holderFile);
    if (holder && holder.host === hostname() && !alive(holder.pid)) {
      // Left by a process that no longer runs (killed): take it over.
      await rm(join(f.dir, LOCK_DIR), { recursive: true, force: true });
      release = await lockfile.lock(f.dir, options);
    } else {
      const who = holder ? `\`aurora-restore ${holder.command}\` (pid ${holder.pid}, since ${holder.since})` : 'another aurora-restore command';
      throw failure(`${f.typed ? '--data-dir: ' : 'data folder '}${f.dir} is in use by ${who}; wait for it to end, or use another --data-dir`);
    }
  }
  const holder: Holder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString().slice(0, 19).replace('T', ' ') };
  await writeFile(holderFile, JSON.stringify(holder));
  return async () => {
    await rm(holderFile, { force: true });
    await release().catch(() => undefined);
  };
}

async function readHolder(file: string): Promise<Holder | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

/** The hash of the world the folder holds (world.json), if any. */
export function folderScenarioHash(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'world.json'), 'utf8')) as { scenarioHash?: string }).scenarioHash;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw failure(`data folder ${dir}: world.json is unreadable (${(e as Error).message}); start afresh with --reset`);
  }
}

export interface ChosenScenario {
  scenario: Scenario;
  /** The folder holds another world and the user asked for --reset: the pipeline starts the folder afresh. */
  reset: boolean;
}

/**
 * The scenario of a command: `--scenario` when given (refused when the folder holds another world, unless
 * `--reset`), else the folder's own (scenario.json), else the built-in world.
 */
export function chooseScenario(f: DataFolder, scenarioFlag: string | undefined, reset = false): ChosenScenario {
  const held = folderScenarioHash(f.dir);
  if (scenarioFlag !== undefined) {
    let scenario: Scenario;
    try {
      scenario = loadScenarioFile(resolve(scenarioFlag));
    } catch (e) {
      throw usageError(`--scenario: ${(e as Error).message}`);
    }
    if (held === undefined || held === scenarioHash(scenario)) return { scenario, reset: false };
    if (reset) return { scenario, reset: true };
    throw usageError(
      `--scenario: ${scenarioFlag} is not the scenario the data folder ${f.dir} was made with; leave --scenario out to use the folder's own, pass --reset to start the folder afresh (deletes its operations), or use another --data-dir`,
    );
  }
  if (held === undefined || held === scenarioHash(DEFAULT_SCENARIO)) return { scenario: DEFAULT_SCENARIO, reset: false };
  const file = join(f.dir, 'scenario.json');
  try {
    const scenario = JSON.parse(readFileSync(file, 'utf8')) as Scenario;
    if (scenarioHash(scenario) === held) return { scenario, reset: false };
  } catch {
    /* below */
  }
  if (reset) return { scenario: DEFAULT_SCENARIO, reset: true };
  throw usageError(`data folder ${f.dir} was made with a scenario it does not hold (no valid scenario.json); pass that --scenario again, or --reset to start the folder afresh`);
}
