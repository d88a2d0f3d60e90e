import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PipelineError, isFault } from '../errors';
import type { ObjectStore } from '../ports';
import { sdkClientOptions } from './client-options';

/** Post-restore SQL files are small scripts: a larger object is refused before it is read into memory. */
export const MAX_OBJECT_BYTES = 1024 * 1024;

/**
 * The ObjectStore port on S3 GetObject ("You need the READ access to the object" — s3:GetObject — and, for an
 * object encrypted with a customer managed key, kms:Decrypt). A missing object (NoSuchKey) or one the function
 * may not read (AccessDenied: S3 answers 403 for a missing key when the caller lacks s3:ListBucket) ends the
 * refresh with PostRestoreSqlFailed naming the object; other SDK errors propagate for the runner to classify.
 */
export class AwsObjectStore implements ObjectStore {
  private readonly client: S3Client;

  constructor(options: { client?: S3Client; region?: string } = {}) {
    this.client = options.client ?? new S3Client(sdkClientOptions({ region: options.region }));
  }

  async getText(bucket: string, key: string): Promise<string> {
    const where = `s3://${bucket}/${key}`;
    let out;
    try {
      out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    } catch (err) {
      if (isFault(err, 'NoSuchKey', 'NotFound', 'NoSuchBucket')) throw new PipelineError('PostRestoreSqlFailed', `post-restore SQL ${where} does not exist`);
      if (isFault(err, 'AccessDenied', 'Forbidden')) {
        throw new PipelineError('PostRestoreSqlFailed', `post-restore SQL ${where} cannot be read (access denied: missing, outside HOOK_SOURCES, or its KMS key is not usable)`);
      }
      throw err;
    }
    if ((out.ContentLength ?? 0) > MAX_OBJECT_BYTES) throw new PipelineError('PostRestoreSqlFailed', `post-restore SQL ${where} is larger than ${MAX_OBJECT_BYTES} bytes`);
    if (!out.Body) throw new PipelineError('PostRestoreSqlFailed', `post-restore SQL ${where} has no body`);
    return out.Body.transformToString('utf-8');
  }
}
