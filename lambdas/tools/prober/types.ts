/** What the prober hands on: one round of probes, and where it goes. */

export interface ProbePublisher {
  /** One round: passed or failed, its latency; published at 1-second resolution. */
  publish(round: ProbeRound): Promise<void>;
}

export interface ProbeRound {
  readonly at: Date;
  readonly passed: boolean;
  /** The slowest step's latency in the round. */
  readonly latencyMs: number;
  readonly failures: readonly string[];
}
