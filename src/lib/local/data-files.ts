/**
 * The files of a local data folder and the identity of the scenario it holds, in a module light enough for
 * the CLI's read-only commands (no runtime, no dynalite, no PGlite).
 */
import { createHash } from 'node:crypto';
import type { Scenario } from './scenario';

/** Identifies a scenario (world.json records the hash of the one the folder was made with). */
export const scenarioHash = (scenario: Scenario) => createHash('sha256').update(JSON.stringify(scenario)).digest('hex').slice(0, 16);

/** The files of a data folder, all of which a reset deletes. */
export const DATA_FILES = ['world.json', 'scenario.json', 'dynamodb.json', 'archive.jsonl', 'outbox.jsonl', 'secrets.json', 'pipeline.log'] as const;

/** The data folder holds the state of another world: refused, never wiped, unless the caller asks for a reset. */
export class ScenarioMismatchError extends Error {
  constructor(readonly dataDir: string) {
    super(`the data folder ${dataDir} holds the operations of another scenario`);
    this.name = 'ScenarioMismatchError';
  }
}
