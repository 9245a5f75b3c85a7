import * as z from 'zod/mini';
import '../validation';

/** The application's database: backed up before anything changes, watched during the cutover, restored by a rollback. */
export const databaseConfigSchema = z.strictObject({
  kind: z.enum(['instance', 'cluster']),
  /** DB instance identifier (kind `instance`) or DB cluster identifier (kind `cluster`). */
  identifier: z
    .string()
    .check(
      z.regex(/^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$/, 'must be an RDS identifier: 1-63 letters, digits, hyphens'),
    ),
});

export type DatabaseConfig = z.output<typeof databaseConfigSchema>;
