import { PgDatabaseAdmin } from '../db-admin';
import type { AwsAdapters } from './compose';

/**
 * The database port on pg, verifying the server certificate. RDS presents certificates of the Amazon
 * RDS CAs, which Node.js 20 on Lambda trusts only with NODE_EXTRA_CA_CERTS=/var/runtime/ca-cert.pem
 * (set for the function that connects, by serverless.yml).
 */
export const dbAdapter: AwsAdapters['db'] = (c) => new PgDatabaseAdmin({ ssl: { rejectUnauthorized: true }, logger: c.logger });
