import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import {
  ALARM_LISTENER_SDK_BUDGET,
  alarmListenerWorstCaseMs,
  rollbackTriggerEnvironment,
} from '../../lambdas/shared/config/rollback-trigger';
import { AgentFunction } from '../agent-function';
import type { ChairmanNotifications } from '../chairman-notifications';
import type { ResolvedCrewConfig } from '../config/resolve-config';
import type { CutoverAlarms } from '../cutover-alarms';
import {
  acknowledgeReadOnlyWildcards,
  grantUrlToApprovers,
  listenerStatements,
  lockItems,
  tableStatement,
} from '../iam/shared-statements';
import { WatchedDeadLetterQueue } from '../watched-dead-letter-queue';

/**
 * Properties of the alarm listener and Chairman's override.
 */
export interface RollbackTriggerAgentProps {
  /** The crew's configuration, resolved and checked. */
  readonly config: ResolvedCrewConfig;
  /** The crew's state table, holding the lock (where the rollback is claimed first). */
  readonly table: dynamodb.ITableV2;
  /** The alarms: what each one watches and the trigger it is recorded as; an alarm on the live side is ignored. */
  readonly alarms: CutoverAlarms;
  /** The Chairman's topic, told when an invocation failed for good (its event is in the on-failure queue). */
  readonly notifications: ChairmanNotifications;
  /**
   * The function's timeout. Refused when shorter than the worst case of the listener's AWS calls: an invocation cut
   * off by its timeout runs no `finally`, and the `finally` is what ends the bake when the listener was not restored.
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
}

/** Lambda's retries of a failed asynchronous invocation (an alarm event) before it goes to the on-failure queue. */
export const ALARM_LISTENER_RETRY_ATTEMPTS = 2;
/** An alarm event still unprocessed after this is dropped to the queue: bakes last at most an hour. */
export const ALARM_LISTENER_MAX_EVENT_AGE = Duration.hours(1);

/**
 * The fast path of a rollback: an alarm entering ALARM (EventBridge), a probe failure report (direct invocation by
 * the prober's role) or the Chairman's override (an AWS_IAM function URL, for the configured approvers only) claims
 * the rollback on the lock, puts the listener back to 100 % live at once and ends the bake, during the canary and
 * during the post-promotion watch. An alarm event that still fails after Lambda's retries goes to an encrypted queue
 * whose alarm notifies the Chairman.
 */
export class RollbackTriggerAgent extends AgentFunction {
  readonly url: lambda.FunctionUrl;
  readonly failedInvocations: WatchedDeadLetterQueue;

  constructor(scope: Construct, id: string, props: RollbackTriggerAgentProps) {
    const { config, alarms } = props;
    const timeout = props.timeout ?? Duration.minutes(5);
    assertTimeoutCoversSdkCalls(timeout);
    super(scope, id, {
      logRetention: config.logRetention,
      agent: 'rollback-trigger',
      description:
        'DeploymentCrew alarm listener and Chairman override: listener back to live at once, bake interrupted',
      environment: rollbackTriggerEnvironment({
        tableName: props.table.tableName,
        lockKey: config.lockKey,
        listenerArn: config.listenerArn,
        alarmRoutes: alarms.alarmRoutes,
        approvers: config.approvers,
        accountId: config.where.account,
      }),
      timeout,
      memorySize: 512,
    });
    this.url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    // Approvers may override through the URL only; the direct invokers are the alarm rule (EventBridge) and the
    // prober (allowProbeReports).
    grantUrlToApprovers(this.url, config.approvers);

    this.failedInvocations = new WatchedDeadLetterQueue(this, 'FailedInvocations', {
      alarmNameSuffix: 'alarm-listener-failed-invocations',
      description:
        'the alarm listener failed on an alarm event after its retries: the listener may not be back on live, or ' +
        'the bake may still run. Check the deployment in progress and the function logs, then read and delete the ' +
        'messages of the queue.',
      notifications: props.notifications,
    });
    this.function.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.failedInvocations.queue),
      retryAttempts: ALARM_LISTENER_RETRY_ATTEMPTS,
      maxEventAge: ALARM_LISTENER_MAX_EVENT_AGE,
    });
    // The same queue as the function's dead-letter queue too (set on the L1: AgentFunction owns the function's props):
    // Lambda then sends a failed event both as is (ready to replay) and as its invocation record (with the error).
    (this.function.node.defaultChild as lambda.CfnFunction).deadLetterConfig = {
      targetArn: this.failedInvocations.queue.queueArn,
    };

    for (const statement of [
      // Restores the listener and confirms it by re-reading: nothing else.
      ...listenerStatements(config.listenerArn, ['DescribeListeners']),
      // Only the lock: the rollback is claimed there, and refused overrides are recorded there.
      tableStatement(props.table, lockItems(config.lockKey), 'GetItem', 'UpdateItem'),
      // On *: composite alarms (an extra alarm may be one) are described only to a permission scoped to * (API reference).
      new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'] }),
    ]) {
      this.role.addToPolicy(statement);
    }
    acknowledgeReadOnlyWildcards(
      this.role,
      'elasticloadbalancing:DescribeListeners, cloudwatch:DescribeAlarms (composite alarms need *)',
    );
  }

  /**
   * lambda:InvokeFunction on this function only, for the prober (the PostDeploymentVerifier's role) to report that
   * green stopped answering. A direct invocation carries no checked identity beyond this grant; a forged report can
   * only roll the deployment in progress back, the safe direction (see lambdas/rollback-trigger/probe.ts). The
   * unqualified ARN only (not grantInvoke's `function:*` too): the prober never invokes a version or an alias.
   */
  allowProbeReports(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['lambda:InvokeFunction'],
      resourceArns: [this.function.functionArn],
    });
  }

  /**
   * SendTaskFailure on the state machine, to end the waiting bake. A separate policy, created in `scope` (the crew):
   * the state machine references sibling functions, and putting this on the role's default policy would make a cycle.
   */
  allowBakeInterrupts(scope: Construct, stateMachine: sfn.IStateMachine): iam.Policy {
    return new iam.Policy(scope, 'BakeInterruptPolicy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({ actions: ['states:SendTaskFailure'], resources: [stateMachine.stateMachineArn] }),
      ],
    });
  }
}

/** Refuses a timeout that could cut the listener's AWS calls (and so its `finally`) short. */
export function assertTimeoutCoversSdkCalls(timeout: Duration): void {
  const worstCaseMs = alarmListenerWorstCaseMs();
  if (timeout.toMilliseconds() < worstCaseMs) {
    const { calls, limits } = ALARM_LISTENER_SDK_BUDGET;
    throw new Error(
      `the alarm listener's timeout of ${timeout.toSeconds()} s is shorter than the worst case of its AWS calls ` +
        `(${Math.ceil(worstCaseMs / 1000)} s: ${calls} calls × ${limits.maxAttempts} attempts × ` +
        `(${limits.requestTimeoutMs} ms request timeout + backoff), plus the confirming re-reads); a timed-out ` +
        'invocation would not end the bake',
    );
  }
}
