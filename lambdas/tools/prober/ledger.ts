import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as v from 'valibot';
import { ConfigurationError } from '../../shared/errors';
import { PROBE_LEDGER_PK_PREFIX, PROBE_LEDGER_SORT_KEY } from '../../shared/state-table';
import { nonNegativeInt, object, parse } from '../../shared/validation';

/**
 * The probe ledger: what every prober invocation of one deployment saw, added up in one item of its own partition
 * (`pk = PROBES#<deployment>`, `sk = PROBES`), so that the report can say how many rounds ran and when green was first
 * seen down. Probers run asynchronously, outside the execution's state: this item is how their results reach the
 * report. It expires (`expiresAt`), and is never read to decide anything.
 */

/** At most this many failures are kept (the item is read into a report, not an archive). */
const MAX_FAILURES = 20;
/** A week: long after any report is written. */
const LEDGER_TTL_SECONDS = 7 * 24 * 3600;

export interface ProbeRunRecord {
  readonly rounds: number;
  readonly failedRounds: number;
  /** Rounds whose metric CloudWatch did not take. @default 0 */
  readonly publishFailures?: number;
  /** The first failed probe of the run that declared green down, when this run did. */
  readonly greenDownSince?: string;
  /** That run's failures, in words. */
  readonly failures?: readonly string[];
}

export const probeLedgerSummarySchema = object({
  runs: nonNegativeInt,
  rounds: nonNegativeInt,
  failedRounds: nonNegativeInt,
  publishFailures: nonNegativeInt,
  greenDownSince: v.nullable(v.string()),
  failures: v.array(v.string()),
});
export type ProbeLedgerSummary = v.InferOutput<typeof probeLedgerSummarySchema>;

export interface ProbeLedger {
  /** Adds one prober invocation's rounds; the first green-down instant is kept, later ones do not replace it. */
  record(deployment: string, run: ProbeRunRecord): Promise<void>;
  /** The deployment's probes so far; null when no prober recorded anything. */
  read(deployment: string): Promise<ProbeLedgerSummary | null>;
}

export function probeLedgerKey(deployment: string): string {
  if (deployment.trim() === '') throw new ConfigurationError('a probe ledger needs a deployment name');
  return `${PROBE_LEDGER_PK_PREFIX}${deployment}`;
}

export function createProbeLedger(
  client: DynamoDBDocumentClient,
  tableName: string,
  clock: () => Date = () => new Date(),
): ProbeLedger {
  const keyOf = (deployment: string) => ({ pk: probeLedgerKey(deployment), sk: PROBE_LEDGER_SORT_KEY });
  return {
    async record(deployment, run) {
      const down = run.greenDownSince !== undefined;
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keyOf(deployment),
          UpdateExpression:
            'ADD runs :one, rounds :rounds, failedRounds :failed, publishFailures :unpublished SET expiresAt = :expires' +
            (down
              ? ', greenDownSince = if_not_exists(greenDownSince, :down), failures = if_not_exists(failures, :f)'
              : ''),
          ExpressionAttributeValues: {
            ':one': 1,
            ':rounds': run.rounds,
            ':failed': run.failedRounds,
            ':unpublished': run.publishFailures ?? 0,
            ':expires': Math.floor(clock().getTime() / 1000) + LEDGER_TTL_SECONDS,
            ...(down ? { ':down': run.greenDownSince, ':f': (run.failures ?? []).slice(0, MAX_FAILURES) } : {}),
          },
        }),
      );
    },
    async read(deployment) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: keyOf(deployment), ConsistentRead: true }),
      );
      if (Item === undefined) return null;
      return parse(probeLedgerSummarySchema, {
        runs: Item.runs ?? 0,
        rounds: Item.rounds ?? 0,
        failedRounds: Item.failedRounds ?? 0,
        publishFailures: Item.publishFailures ?? 0,
        greenDownSince: Item.greenDownSince ?? null,
        failures: Item.failures ?? [],
      });
    },
  };
}
