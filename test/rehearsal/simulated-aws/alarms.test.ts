import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { greenErrorRateExpressions } from '../../../lambdas/shared/green-errors';
import { at, metricsWorld, noAlarm } from '../../../rehearsal/simulated-aws/metrics-world';
import { SIM, SIM_ALARMS } from '../../../rehearsal/simulated-production';

/**
 * The simulated alarms (lib/cutover-alarms.ts with the default thresholds), evaluated only over published datapoints,
 * as the bake and the metrics monitor (DescribeAlarms) see them.
 */

describe('alarms over the published minutes', () => {
  it('the green error-rate alarm fires in the 2nd consecutive bad minute, once it is published', async () => {
    // Prepare
    const twoBad = metricsWorld({ traffic: { greenErrorRatePercent: ({ minute }) => (minute >= 2 ? 8 : 0.2) } });
    const oneBad = metricsWorld({ traffic: { greenErrorRatePercent: ({ minute }) => (minute === 1 ? 30 : 0.2) } });
    const baseline = await twoBad.baseline();
    for (const w of [twoBad, oneBad]) await w.shift(10);
    const fired: [string, string][] = [];

    // Act
    const interrupted = await twoBad.sim.bake(600, async (name, when) => {
      fired.push([name, when.toISOString()]);
    });
    const sample = await twoBad.sample({ start: at(0), end: twoBad.sim.clock.now() }, baseline);
    const uninterrupted = await oneBad.sim.bake(600, noAlarm);

    // Assess: minute 10:03 ends at 10:04 and is published at 10:05:30, seen by the bake at 10:06
    expect(fired).toEqual([[SIM_ALARMS.greenErrorRate, at(6).toISOString()]]);
    expect(interrupted).toEqual({ interruptedBy: SIM_ALARMS.greenErrorRate, at: at(6) });
    expect(sample.alarmsInAlarm).toEqual([SIM_ALARMS.greenErrorRate]);
    expect(sample.minutes.map((minute) => minute.errorRatePercent)).toEqual([
      expect.closeTo(0.1667, 3),
      expect.closeTo(0.1667, 3),
      8,
      8,
      null,
      null,
    ]);
    expect(uninterrupted).toEqual({ interruptedBy: null });
    expect(oneBad.sim.alarmStates()[SIM_ALARMS.greenErrorRate]).toBe('OK');
  });

  it('advance delivers every alarm entering ALARM and passes the whole time unless told to stop', async () => {
    // Prepare: errors and latency both go bad in minute 2
    const bad = (minute: number) => minute >= 2;
    const traffic = {
      greenErrorRatePercent: ({ minute }: { minute: number }) => (bad(minute) ? 8 : 0.2),
      greenP95Ms: ({ minute }: { minute: number }) => (bad(minute) ? 900 : 180),
    };
    const running = metricsWorld({ traffic });
    const stopping = metricsWorld({ traffic });
    for (const w of [running, stopping]) {
      await w.baseline();
      await w.shift(10);
    }
    const delivered: string[] = [];
    const start = running.sim.clock.nowMs();

    // Act
    const ran = await running.sim.advance(900, async (name) => {
      delivered.push(name);
    });
    const stopped = await stopping.sim.advance(
      900,
      async () => {},
      () => true,
    );

    // Assess: both alarms reached the listener, the first one is reported, and the time passed in full
    expect(delivered).toEqual(expect.arrayContaining([SIM_ALARMS.greenErrorRate, SIM_ALARMS.greenP95Latency]));
    expect(delivered).toHaveLength(2);
    expect(ran.interruptedBy).toBe(delivered[0]);
    expect(running.sim.clock.nowMs() - start).toBe(900_000);
    expect(stopped.interruptedBy).not.toBeNull();
    expect(stopping.sim.clock.nowMs() - start).toBeLessThan(900_000);
  });

  it('p95 and DB alarms fire on one bad minute; live alarms stay OK; disabled alarms never fire', async () => {
    // Prepare
    const slow = metricsWorld({ traffic: { greenP95Ms: ({ minute }) => (minute === 1 ? 900 : 180) } });
    const slowAndLate = metricsWorld({
      traffic: { greenP95Ms: ({ minute }) => (minute === 1 ? 900 : 180), publishDelaySeconds: 240 },
    });
    const busyDb = metricsWorld({ traffic: { dbConnections: ({ greenWeight }) => (greenWeight > 0 ? 321 : 120) } });
    const silent = metricsWorld({
      traffic: { greenErrorRatePercent: () => 50, greenP95Ms: () => 2000 },
      cutover: { alarmsEnabled: false },
    });
    const baseline = await silent.baseline();
    for (const w of [slow, slowAndLate, busyDb, silent]) await w.shift(10);

    // Act
    const slowBake = await slow.sim.bake(300, async () => {});
    const lateBake = await slowAndLate.sim.bake(600, async () => {});
    const dbBake = await busyDb.sim.bake(300, async () => {});
    const silentBake = await silent.sim.bake(300, noAlarm);
    const silentSample = await silent.sample({ start: at(0), end: at(5) }, baseline);

    // Assess
    // Minute 10:01 is published at 10:03:30 (4 minutes late: 10:06); the bake looks every whole minute.
    expect(slowBake).toEqual({ interruptedBy: SIM_ALARMS.greenP95Latency, at: at(4) });
    expect(lateBake).toEqual({ interruptedBy: SIM_ALARMS.greenP95Latency, at: at(6) });
    expect(dbBake).toEqual({ interruptedBy: SIM_ALARMS.dbConnections, at: at(3) });
    expect(slow.sim.alarmStates()[SIM_ALARMS.blueErrorRate]).toBe('OK');
    expect(slow.sim.alarmStates()[SIM_ALARMS.blueP95Latency]).toBe('OK');
    expect(silentBake).toEqual({ interruptedBy: null });
    expect(silentSample.alarmsInAlarm).toEqual([]);
    expect(silentSample.minutes[0]?.errorRatePercent).toBe(50);
    expect(silentSample.p95LatencyMs).toBe(2000);
  });

  it('a crashing green: no healthy targets at once, error rate (with 0 target 5xx) after 2 minutes', async () => {
    // Prepare
    const w = metricsWorld({ traffic: { greenCrash: () => ({ refusedPercent: 100 }) } });
    const baseline = await w.baseline();
    await w.shift(10);
    const states = () => w.sim.alarmStates();

    // Act: minute 10:00 is published at 10:02:30, 10:01 at 10:03:30
    w.sim.clock.advance(90);
    const minute1 = states();
    w.sim.clock.advance(60);
    const minute2 = states();
    w.sim.clock.advance(60);
    const minute3 = states();
    const sample = await w.sample({ start: at(0), end: at(2) }, baseline);

    // Assess
    expect(minute1[SIM_ALARMS.greenNoHealthyTargets]).toBe('OK');
    expect(minute2[SIM_ALARMS.greenNoHealthyTargets]).toBe('ALARM');
    expect(minute2[SIM_ALARMS.greenErrorRate]).toBe('OK');
    expect(minute3[SIM_ALARMS.greenErrorRate]).toBe('ALARM');
    expect(minute3[SIM_ALARMS.blueNoHealthyTargets]).toBe('OK');
    // The load balancer's 5xx carry no target group: blue's alarm, with the same formula, blames them on blue too.
    expect(minute3[SIM_ALARMS.blueErrorRate]).toBe('ALARM');
    expect(sample.minutes.map((minute) => [minute.targetErrors, minute.connectionErrors])).toEqual([
      [0, 600],
      [0, 600],
    ]);
    expect(sample.alarmsInAlarm).toEqual([SIM_ALARMS.greenErrorRate, SIM_ALARMS.greenNoHealthyTargets]);
  });

  it("the load balancer's own 5xx count against green only above the configured 0.1 % baseline", async () => {
    // Prepare: hung requests are ELB 504s without a connection error or target 5xx
    const hanging = metricsWorld({ traffic: { greenCrash: () => ({ hangPercent: 10 }) } });
    const noisyBalancer = metricsWorld({ traffic: { loadBalancerBaselineErrorPercent: 0.09 } });
    for (const w of [hanging, noisyBalancer]) await w.shift(10);

    // Act
    for (const w of [hanging, noisyBalancer]) w.sim.clock.advance(210);

    // Assess: (1 target 5xx + 63 ELB 5xx - 6 excused) / 600 = 9.7 %; 5 ELB 5xx in 6000 (0.09 %) are below 0.1 %
    expect(hanging.sim.alarmStates()[SIM_ALARMS.greenErrorRate]).toBe('ALARM');
    expect(noisyBalancer.sim.alarmStates()[SIM_ALARMS.greenErrorRate]).toBe('OK');
  });

  it('missing data is not breaching: no healthy-host datapoint before green has targets or while it is silent', async () => {
    // Prepare
    const idle = metricsWorld();
    const silent = metricsWorld({ traffic: { greenNoData: 'always' } });
    await silent.shift(10);

    // Act
    for (const w of [idle, silent]) w.sim.clock.advance(300);

    // Assess
    for (const w of [idle, silent]) {
      expect(w.sim.alarmStates()[SIM_ALARMS.greenNoHealthyTargets]).toBe('OK');
      expect(w.sim.alarmStates()[SIM_ALARMS.greenErrorRate]).toBe('OK');
    }
  });
});

describe('DescribeAlarms', () => {
  it('describes the alarms as the stack defines them: metric math, HealthyHostCount < 1, the writer', async () => {
    // Prepare
    const w = metricsWorld({ traffic: { databaseKind: 'cluster' } });
    const names = [SIM_ALARMS.greenErrorRate, SIM_ALARMS.greenNoHealthyTargets, SIM_ALARMS.dbConnections, 'nope'];

    // Act
    const output = await w.sim.cloudWatchClient().send(new DescribeAlarmsCommand({ AlarmNames: names }));

    // Assess
    const [errorRate, noHealthyTargets, database] = output.MetricAlarms ?? [];
    expect(output.MetricAlarms).toHaveLength(3);
    expect(errorRate).toMatchObject({
      AlarmName: `${SIM.alarmPrefix}-shop-green-error-rate`,
      Threshold: 5,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
    expect(errorRate?.Metrics?.find((metric) => metric.ReturnData)?.Expression).toBe(
      greenErrorRateExpressions(0.1).rate,
    );
    expect(noHealthyTargets).toMatchObject({
      AlarmName: `${SIM.alarmPrefix}-shop-green-no-healthy-targets`,
      MetricName: 'HealthyHostCount',
      Statistic: 'Minimum',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(database?.Dimensions).toEqual([
      { Name: 'DBClusterIdentifier', Value: SIM.databaseIdentifier },
      { Name: 'Role', Value: 'WRITER' },
    ]);
  });
});
