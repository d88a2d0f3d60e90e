/**
 * The file the local tables persist in between CLI invocations (`<data folder>/dynamodb.json`): raw
 * AttributeValue items per table name, so numbers, sets and nulls round-trip exactly (binary values are
 * stored as Node's Buffer JSON and revived on load). dynalite.ts loads and saves it; read-only commands
 * (`status`, `list`) read it directly, without starting dynalite.
 */
import { readFile } from 'node:fs/promises';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

export interface TableSnapshot {
  version: 1;
  tables: Record<string, Item[]>;
}

/** Reads and checks a snapshot file; undefined when there is none. */
export async function readTableSnapshot(file: string): Promise<TableSnapshot | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let snapshot: TableSnapshot;
  try {
    snapshot = JSON.parse(text, reviveBuffers) as TableSnapshot;
  } catch (err) {
    throw new Error(`${file}: expected a JSON snapshot of the local tables (${(err as Error).message})`);
  }
  if (snapshot?.version !== 1 || typeof snapshot.tables !== 'object' || snapshot.tables === null) {
    throw new Error(`${file}: expected {"version":1,"tables":{...}}`);
  }
  return snapshot;
}

/** JSON.stringify replacer: binary attribute values (Uint8Array) in the same shape as a Buffer's JSON. */
export function storeBuffers(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { type: 'Buffer', data: Array.from(value) } : value;
}

/** JSON.parse reviver: turns `{"type":"Buffer","data":[...]}` (how Buffers stringify) back into bytes. */
export function reviveBuffers(_key: string, value: unknown): unknown {
  const v = value as { type?: unknown; data?: unknown };
  if (v && v.type === 'Buffer' && Array.isArray(v.data) && Object.keys(v).length === 2) return Buffer.from(v.data as number[]);
  return value;
}
