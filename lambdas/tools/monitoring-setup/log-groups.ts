import { type CloudWatchLogsClient, DescribeLogStreamsCommand, type LogStream } from '@aws-sdk/client-cloudwatch-logs';
import { type MonitoringCheck, refusalEvidence } from '../../shared/verification';
import { describeAge } from './age';

/**
 * Whether a log group received events within the window: its most recent stream by LastEventTime. The stream's
 * `lastEventTimestamp` (the event's own time) and `lastIngestionTime` (when CloudWatch Logs received it) both lag by up
 * to about an hour (eventual consistency), so the later of the two counts and the window is at least an hour
 * (MIN_LOGS_WINDOW_MINUTES).
 */
export async function logGroupCheck(
  client: CloudWatchLogsClient,
  logGroupName: string,
  windowMinutes: number,
  now: Date,
): Promise<MonitoringCheck> {
  const check = (ok: boolean, evidence: string): MonitoringCheck => ({
    kind: 'log-group',
    name: logGroupName,
    ok,
    evidence,
  });
  let streams: LogStream[] | undefined;
  try {
    const page = await client.send(
      new DescribeLogStreamsCommand({ logGroupName, orderBy: 'LastEventTime', descending: true, limit: 1 }),
    );
    streams = page.logStreams;
  } catch (error) {
    return check(false, `DescribeLogStreams ${refusalEvidence(error, ['ResourceNotFoundException'])}`);
  }
  const [stream] = streams ?? [];
  if (stream === undefined) return check(false, 'the log group has no log streams: it never received an event');
  const times = [stream.lastEventTimestamp, stream.lastIngestionTime].filter((t): t is number => t !== undefined);
  if (times.length === 0) {
    return check(false, `its latest stream ${stream.logStreamName ?? '?'} has no event time yet`);
  }
  const last = Math.max(...times);
  const age = now.getTime() - last;
  const when = `${describeAge(age)} ago (${new Date(last).toISOString()}, stream ${stream.logStreamName ?? '?'})`;
  if (age > windowMinutes * 60_000) {
    return check(false, `no event within the last ${windowMinutes} min: the latest was ${when}`);
  }
  return check(true, `latest event ${when}, within ${windowMinutes} min`);
}
