import * as v from 'valibot';
import { strictObject } from '../validation';

/** The application's database: backed up before anything changes, watched during the cutover, restored by a rollback. */
export const databaseConfigSchema = strictObject({
  kind: v.picklist(['instance', 'cluster']),
  /** DB instance identifier (kind `instance`) or DB cluster identifier (kind `cluster`). */
  identifier: v.pipe(
    v.string(),
    v.regex(/^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$/, 'must be an RDS identifier: 1-63 letters, digits, hyphens'),
  ),
});

export type DatabaseConfig = v.InferOutput<typeof databaseConfigSchema>;
