/**
 * Local commands over a data folder: read-only ones read its files (LocalHistory) and never write;
 * commands that change it take its lock and open the whole local pipeline.
 */
import type { LocalPipeline, LocalPipelineOptions } from '../lib/local/pipeline';
import { localConfig } from '../lib/local/local-config';
import type { Scenario } from '../lib/local/scenario';
import { checkDataFolder, chooseScenario, lockDataFolder, resolveDataFolder, type DataFolder } from './data-folder';
import { LocalHistory } from './history';
import { err } from './output';

export interface LocalFlags {
  dataDir?: string;
  scenario?: string;
  reset?: boolean;
}

export interface ReadOnlyFolder {
  folder: DataFolder;
  scenario: Scenario;
  history: LocalHistory;
}

/** The folder's history, for commands that only read: nothing is started, created or written. */
export async function readFolder(o: LocalFlags): Promise<ReadOnlyFolder> {
  const folder = resolveDataFolder(o.dataDir);
  await checkDataFolder(folder, 'read');
  const { scenario } = chooseScenario(folder, o.scenario);
  const config = localConfig();
  const history = await LocalHistory.open(folder.dir, { state: config.DYNAMODB_TABLE_NAME, audit: config.AUDIT_TABLE_NAME });
  return { folder, scenario, history };
}

/** ` --data-dir DIR` when the folder is not the one a bare command would find (for "resume with …" hints). */
export function dataDirHint(folder: DataFolder): string {
  return resolveDataFolder(undefined).dir === folder.dir ? '' : ` --data-dir ${folder.dir}`;
}

/** Ctrl-C / SIGTERM: the first asks the run to stop at a safe point (and save); a second one exits at once. */
export function interruptible(): { stopped: () => boolean; dispose: () => void } {
  let stopped = false;
  const handler = () => {
    if (stopped) process.exit(4);
    stopped = true;
    err('stopping at a safe point (Ctrl-C again to quit at once)…');
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    stopped: () => stopped,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/**
 * Runs `fn` with the local pipeline of the folder, holding its lock; saves and closes the pipeline and
 * releases the lock whatever happens. The folder is checked, and the scenario chosen, before anything starts.
 */
export async function withPipeline<T>(
  o: LocalFlags,
  command: string,
  hooks: Pick<LocalPipelineOptions, 'onEvent' | 'onNotification' | 'onLog'>,
  fn: (pipeline: LocalPipeline, folder: DataFolder) => Promise<T>,
  prepared?: { folder: DataFolder; scenario: Scenario; reset: boolean },
): Promise<T> {
  const folder = prepared?.folder ?? resolveDataFolder(o.dataDir);
  let scenario = prepared?.scenario;
  let reset = prepared?.reset ?? false;
  if (!prepared) {
    await checkDataFolder(folder, 'write');
    ({ scenario, reset } = chooseScenario(folder, o.scenario, o.reset));
  }
  const release = await lockDataFolder(folder, command);
  try {
    const { LocalPipeline } = await import('../lib/local/pipeline');
    const pipeline = await LocalPipeline.open({ dataDir: folder.dir, scenario, reset, ...hooks });
    try {
      return await fn(pipeline, folder);
    } finally {
      await pipeline.close();
    }
  } finally {
    await release();
  }
}
