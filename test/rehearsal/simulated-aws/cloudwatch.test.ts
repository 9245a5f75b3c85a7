import { describe, expect, it } from 'vitest';
import { LATENCY_SIGMA } from '../../../rehearsal/simulated-aws/latency';
import {
  at,
  BLUE_FULL_NAME,
  GREEN_FULL_NAME,
  groupDimensions,
  LB_DIMENSIONS,
  metricsWorld,
  noAlarm,
} from '../../../rehearsal/simulated-aws/metrics-world';
import { SIM } from '../../../rehearsal/simulated-production';

/**
 * The simulated CloudWatch's metrics, read through the REAL metrics monitor and with raw GetMetricData: what ALB and
 * RDS publish, when, and with which dimensions.
 */

const GREEN = groupDimensions(GREEN_FULL_NAME);
const BLUE = groupDimensions(BLUE_FULL_NAME);

describe('metrics through the metrics monitor', () => {
  it('a bake at 10 % shows the modelled error rate and p95 for green, and live carries the rest', async () => {
    // Prepare
    const w = metricsWorld({
      traffic: {
        greenErrorRatePercent: ({ greenWeight }) => (greenWeight === 10 ? 2 : 0.2),
        greenP95Ms: ({ minute }) => 200 + 10 * minute,
        dbConnections: ({ greenWeight }) => 120 + greenWeight,
      },
    });
    const baseline = await w.baseline();
    await w.shift(10);

    // Act
    const bake = await w.sim.bake(300, noAlarm);
    w.sim.clock.advance(90);
    const sample = await w.sample({ start: at(0), end: at(5) }, baseline);
    const live = await w.monitor.liveErrorRate(
      BLUE_FULL_NAME,
      { start: at(0), end: at(5) },
      { baselinePercent: baseline.errorRatePercent, now: w.sim.clock.now() },
    );

    // Assess
    expect(baseline).toMatchObject({ requests: 8 * 6000, errors: 8 * 3, errorRatePercent: 0.05 });
    expect(bake).toEqual({ interruptedBy: null });
    expect(sample.minutes).toEqual(
      [0, 1, 2, 3, 4].map((index) => ({
        at: at(index).toISOString(),
        data: 'complete',
        requests: 600,
        errors: 12,
        targetErrors: 12,
        connectionErrors: 0,
        // The load balancer's 3 own 5xx a minute are its baseline (0.05 % of 6000), not green's.
        loadBalancerErrors: 0,
        errorRatePercent: 2,
        p95LatencyMs: 200 + 10 * index,
        healthyHosts: 3,
      })),
    );
    // Over all requests of the window: above the mean of the minutes' p95s, below the highest.
    expect(sample.p95LatencyMs).toBeGreaterThan(220);
    expect(sample.p95LatencyMs).toBeLessThan(240);
    expect(sample.dbConnectionsMax).toBe(130);
    expect(sample.alarmsInAlarm).toEqual([]);
    // 0.1 % of the 5397 requests live's targets answered is 5.4 errors a minute, counted as 5.
    expect(live).toMatchObject({ requests: 5 * 5400, errors: 5 * 5 });
    expect(live.minutes.map((minute) => minute.p95LatencyMs)).toEqual([150, 150, 150, 150, 150]);
  });

  it('minutes before green got traffic have no green data; minutes not published yet are pending', async () => {
    // Prepare
    const w = metricsWorld();
    const baseline = await w.baseline();
    w.sim.clock.advance(120);
    await w.shift(10);
    w.sim.clock.advance(150);

    // Act
    const sample = await w.sample({ start: at(-2), end: at(5) }, baseline);

    // Assess
    expect(sample.minutes.map((minute) => minute.requests)).toEqual([0, 0, 0, 0, 600, 0, 0]);
    expect(sample.minutes.map((minute) => minute.errors)).toEqual([0, 0, 0, 0, 1, 0, 0]);
    // The load balancer's datapoints are in and green's are not: green got no request (ALB publishes a minute's
    // datapoints together). Minutes not published yet are pending.
    expect(sample.minutes.map((minute) => minute.data)).toEqual([
      'idle',
      'idle',
      'idle',
      'idle',
      'complete',
      'pending',
      'pending',
    ]);
  });

  it('greenNoData: green publishes nothing at the listed weights, not even HealthyHostCount', async () => {
    // Prepare
    const w = metricsWorld({ traffic: { greenNoData: [10] } });
    const baseline = await w.baseline();
    await w.shift(10);
    await w.sim.bake(180, noAlarm);

    // Act
    const sample = await w.sample({ start: at(0), end: at(2) }, baseline);

    // Assess
    expect(sample.minutes.map((minute) => [minute.data, minute.errorRatePercent, minute.healthyHosts])).toEqual([
      ['pending', null, null],
      ['pending', null, null],
    ]);
    expect(sample.p95LatencyMs).toBeNull();
    expect(sample.dbConnectionsMax).toBe(120);
  });

  it('p95 over a window is the percentile of all its requests, not the highest minute p95', async () => {
    // Prepare
    const w = metricsWorld({ traffic: { greenP95Ms: ({ minute }) => (minute === 1 ? 2000 : 200) } });
    const baseline = await w.baseline();
    await w.shift(10);
    w.sim.clock.advance(210);

    // Act
    const sample = await w.sample({ start: at(0), end: at(2) }, baseline);
    const twoMinutes = await w.raw(
      { metricName: 'TargetResponseTime', stat: 'p95', dimensions: GREEN, period: 120 },
      at(0),
      at(2),
    );

    // Assess
    expect(sample.minutes.map((minute) => minute.p95LatencyMs)).toEqual([200, 2000]);
    // Half the requests are the slow minute's: the window's p95 is that minute's p90 (the fast ones are all below).
    const slowMinuteP90 = 2000 * Math.exp(LATENCY_SIGMA * (1.2815515655446004 - 1.6448536269514722));
    expect(sample.p95LatencyMs).toBeCloseTo(slowMinuteP90, 1);
    expect(sample.p95LatencyMs).not.toBe(2000);
    expect(twoMinutes).toEqual([[at(0).toISOString(), expect.closeTo(slowMinuteP90 / 1000, 6)]]);
  });
});

describe('what ALB publishes', () => {
  it('a crashing green: the load balancer answers itself, in ELB 5xx and connection errors, not target 5xx', async () => {
    // Prepare
    const w = metricsWorld({
      traffic: { greenErrorRatePercent: () => 5, greenCrash: () => ({ refusedPercent: 50, hangPercent: 10 }) },
    });
    const baseline = await w.baseline();
    await w.shift(10);
    w.sim.clock.advance(150);
    const minute0 = (metricName: string, dimensions = GREEN) =>
      w.raw({ metricName, stat: 'Sum', dimensions }, at(0), at(1));

    // Act
    const requests = await minute0('RequestCount');
    const targetErrors = await minute0('HTTPCode_Target_5XX_Count');
    const connectionErrors = await minute0('TargetConnectionErrorCount');
    const balancerErrors = await minute0('HTTPCode_ELB_5XX_Count', LB_DIMENSIONS);
    const balancerRequests = await minute0('RequestCount', LB_DIMENSIONS);
    const sample = await w.sample({ start: at(0), end: at(1) }, baseline);

    // Assess: 300 refused, 60 hung, 240 answered of which 5 % are green's own 5xx
    const point = (value: number) => [[at(0).toISOString(), value]];
    expect(requests).toEqual(point(600));
    expect(targetErrors).toEqual(point(12));
    expect(connectionErrors).toEqual(point(300));
    expect(balancerErrors).toEqual(point(300 + 60 + 3));
    expect(balancerRequests).toEqual(point(6000));
    expect(sample.minutes[0]).toMatchObject({
      requests: 600,
      targetErrors: 12,
      connectionErrors: 300,
      loadBalancerErrors: 360,
      p95LatencyMs: 180,
      healthyHosts: 1,
    });
    expect(sample.minutes[0]?.errorRatePercent).toBeGreaterThan(50);
  });

  it('HTTPCode_ELB_5XX_Count with a TargetGroup dimension has no datapoints, as on AWS', async () => {
    // Prepare
    const w = metricsWorld({ traffic: { greenCrash: () => ({ refusedPercent: 100 }) } });
    await w.shift(10);
    w.sim.clock.advance(210);
    const query = (dimensions: typeof GREEN) => ({ metricName: 'HTTPCode_ELB_5XX_Count', stat: 'Sum', dimensions });

    // Act
    const perGreen = await w.raw(query(GREEN), at(0), at(2));
    const perBlue = await w.raw(query(BLUE), at(0), at(2));
    const perBalancer = await w.raw(query(LB_DIMENSIONS), at(0), at(2));

    // Assess
    expect(perGreen).toEqual([]);
    expect(perBlue).toEqual([]);
    expect(perBalancer).toEqual([
      [at(0).toISOString(), 603],
      [at(1).toISOString(), 603],
    ]);
  });

  it('a minute is readable once it ended plus the publish delay; lateMinutes holds one back longer', async () => {
    // Prepare
    const w = metricsWorld({
      traffic: { lateMinutes: ({ start }) => (start.getTime() === at(4).getTime() ? 120 : 0) },
    });
    const baseline = await w.baseline();
    const requests = () => w.raw({ metricName: 'RequestCount', stat: 'Sum', dimensions: LB_DIMENSIONS }, at(0), at(1));
    const lastMinute = async () =>
      (await w.sample({ start: at(0), end: at(5) }, baseline)).minutes.map((minute) => minute.data).at(-1);
    await w.shift(10);

    // Act
    w.sim.clock.advance(60 + 89);
    const beforeDelay = await requests();
    w.sim.clock.advance(1);
    const afterDelay = await requests();
    // Minute 10:04 ends at 10:05 and is 90 + 120 s late.
    w.sim.clock.advance(360 - 1);
    const heldBack = await lastMinute();
    w.sim.clock.advance(1);
    const arrived = await lastMinute();

    // Assess
    expect(beforeDelay).toEqual([]);
    expect(afterDelay).toEqual([[at(0).toISOString(), 6000]]);
    expect(heldBack).toBe('pending');
    expect(arrived).toBe('complete');
  });

  it('HealthyHostCount: every minute a group has targets, traffic or not; 0 while green crashes', async () => {
    // Prepare
    const w = metricsWorld({
      traffic: { greenCrash: ({ minute }) => (minute === 1 ? { refusedPercent: 100 } : null) },
    });
    await w.shift(10);
    w.sim.clock.advance(120);
    await w.shift(0);
    w.sim.clock.advance(210);
    const query = (dimensions: typeof GREEN, metricName = 'HealthyHostCount', stat = 'Minimum') =>
      w.raw({ metricName, stat, dimensions }, at(-2), at(4));

    // Act
    const green = await query(GREEN);
    const blue = await query(BLUE);
    const greenRequests = await query(GREEN, 'RequestCount', 'Sum');

    // Assess: green's targets are known to the simulation from its first traffic on
    const series = (values: number[], from: number) => values.map((value, i) => [at(from + i).toISOString(), value]);
    expect(green).toEqual(series([3, 0, 3, 3], 0));
    expect(blue).toEqual(series([3, 3, 3, 3, 3, 3], -2));
    expect(greenRequests).toEqual(series([600, 600], 0));
  });
});

describe('DatabaseConnections', () => {
  const connections = (identifier: Record<string, string>) => ({
    namespace: 'AWS/RDS' as const,
    metricName: 'DatabaseConnections',
    stat: 'Maximum',
    dimensions: Object.entries(identifier).map(([Name, Value]) => ({ Name, Value })),
  });

  it("a cluster's connections are its writer's: without Role=WRITER, or as READER, the query is refused", async () => {
    // Prepare
    const w = metricsWorld(
      { traffic: { databaseKind: 'cluster', dbConnections: () => 250 } },
      { kind: 'cluster', identifier: SIM.databaseIdentifier },
    );
    const baseline = await w.baseline();
    await w.shift(10);
    w.sim.clock.advance(150);
    const read = (identifier: Record<string, string>) => w.raw(connections(identifier), at(0), at(1));

    // Act
    const sample = await w.sample({ start: at(0), end: at(1) }, baseline);
    const refused = await Promise.allSettled([
      read({ DBClusterIdentifier: SIM.databaseIdentifier }),
      read({ DBClusterIdentifier: SIM.databaseIdentifier, Role: 'READER' }),
      read({ DBInstanceIdentifier: SIM.databaseIdentifier }),
    ]);

    // Assess
    expect(sample.dbConnectionsMax).toBe(250);
    expect(refused.map((result) => result.status === 'rejected' && (result.reason as Error).name)).toEqual([
      'NotModelledBySimulation',
      'NotModelledBySimulation',
      'NotModelledBySimulation',
    ]);
  });

  it('an instance answers DBInstanceIdentifier only', async () => {
    // Prepare
    const w = metricsWorld();
    w.sim.clock.advance(150);

    // Act
    const instance = await w.raw(connections({ DBInstanceIdentifier: SIM.databaseIdentifier }), at(0), at(1));
    const cluster = w.raw(connections({ DBClusterIdentifier: SIM.databaseIdentifier, Role: 'WRITER' }), at(0), at(1));

    // Assess
    expect(instance).toEqual([[at(0).toISOString(), 120]]);
    await expect(cluster).rejects.toMatchObject({ name: 'NotModelledBySimulation' });
  });
});
