/**
 * The local S3 for post-restore SQL: each bucket of the scenario (`buckets`) is a folder on disk, its keys the
 * folder's files. Behaves like the S3 adapter where the pipeline can tell: a missing object ends the refresh
 * with PostRestoreSqlFailed naming it, a path that leaves the folder is refused, a large one too.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { PipelineError } from '../errors';
import type { ObjectStore } from '../ports';
import { MAX_OBJECT_BYTES } from '../aws/objects';

export class LocalObjectStore implements ObjectStore {
  /** bucket → folder. */
  constructor(private readonly buckets: Record<string, string>) {}

  async getText(bucket: string, key: string): Promise<string> {
    const where = `s3://${bucket}/${key}`;
    const folder = this.buckets[bucket];
    if (!folder) throw new PipelineError('PostRestoreSqlFailed', `post-restore SQL ${where} cannot be read (no such bucket in this world: ${Object.keys(this.buckets).join(', ') || 'none'})`);
    const root = resolve(folder);
    const file = resolve(join(root, key));
    if (relative(root, file).startsWith('..') || !file.startsWith(root + sep)) throw new PipelineError('PostRestoreSqlFailed', `post-restore SQL ${where}: the key leaves the bucket`);
    try {
      if ((await stat(file)).size > MAX_OBJECT_BYTES) throw new PipelineError('PostRestoreSqlFailed', `post-restore SQL ${where} is larger than ${MAX_OBJECT_BYTES} bytes`);
      return await readFile(file, 'utf8');
    } catch (err) {
      if (err instanceof PipelineError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new PipelineError('PostRestoreSqlFailed', `post-restore SQL ${where} does not exist`);
      throw err;
    }
  }
}
