import { approvalRequestSchema } from '../lambdas/approval-request/request';
import { type createBlueGreenOrchestrator, orchestratorRequestSchema } from '../lambdas/blue-green-orchestrator/agent';
import type { createRollbackTrigger } from '../lambdas/rollback-trigger/trigger';
import type { IntakeConfig } from '../lambdas/shared/config/deployment-intake';
import { parse } from '../lambdas/shared/validation';
import type { DeploymentLock } from '../lambdas/tools/deployment-lock';
import type { TrafficRouter } from '../lambdas/tools/traffic-router';
import { asLambda } from './local-integrations';
import { type TaskHandler, workflowError } from './local-workflow';
import type { SimulatedProduction } from './simulated-production';
import type { VerifierWorld } from './verifier-world';
import { type Answer, APPROVED, DEFAULT_APPROVAL_ANSWER_SECONDS, type WorldOptions } from './world-config';

/**
 * The world's task-token tasks, which wait on the virtual clock until someone answers: the Chairman's approvals,
 * the bake of each canary step and the post-promotion watch. An alarm listener's SendTaskFailure for the task's
 * token ends the bake or the watch early, as on AWS.
 */

/** A SendTaskFailure the alarm listener sent. */
export interface BakeFailure {
  readonly taskToken: string;
  readonly error: string;
  readonly cause: string;
}

export interface TokenTaskDeps {
  readonly options: WorldOptions;
  readonly config: IntakeConfig;
  readonly production: SimulatedProduction;
  readonly verification: VerifierWorld;
  readonly orchestrator: ReturnType<typeof createBlueGreenOrchestrator>;
  readonly alarmListener: ReturnType<typeof createRollbackTrigger>;
  readonly lock: DeploymentLock;
  readonly router: TrafficRouter;
  readonly executionName: string;
  /** The approval requests the Chairman got, appended to in order. */
  readonly approvalRequests: { kind: string }[];
  /** The alarm listener's outcomes, appended to in order. */
  readonly triggerOutcomes: unknown[];
  /** The alarm listener's SendTaskFailures so far (it grows while a task waits). */
  readonly bakeFailures: readonly BakeFailure[];
  /** Moves the virtual clock, alarms evaluated and delivered; `stopAfterAlarm` ends it early. */
  readonly passTime: (seconds: number, stopAfterAlarm?: () => boolean) => Promise<void>;
  /** An alarm entering ALARM now, delivered to the alarm listener. */
  readonly sendAlarm: (alarmName: string) => Promise<void>;
}

export function createTokenTasks(deps: TokenTaskDeps) {
  const {
    options,
    config,
    production,
    verification,
    orchestrator,
    alarmListener,
    lock,
    router,
    executionName,
    approvalRequests,
    triggerOutcomes,
    bakeFailures,
    passTime,
    sendAlarm,
  } = deps;
  /** The failure the alarm listener sent for this task token since the task began, if any. */
  const failureOf = (taskToken: string, since: number) =>
    bakeFailures.slice(since).find((entry) => entry.taskToken === taskToken);

  /** The Chairman answers after `approvalAnswerSeconds` (alarms evaluated meanwhile); `never` lets the token time out. */
  const answer =
    (kind: 'START' | 'DATABASE_ROLLBACK', how: Answer): TaskHandler =>
    async (parameters) => {
      const { Payload } = parameters as { FunctionName: string; Payload: unknown };
      const request = parse(approvalRequestSchema, Payload);
      approvalRequests.push(request);
      if (request.kind !== kind) throw new Error(`expected a ${kind} approval, got ${request.kind}`);
      if (how === 'never') {
        await passTime(request.timeoutSeconds);
        throw workflowError('States.Timeout', 'no answer before the timeout');
      }
      await passTime(options.approvalAnswerSeconds ?? DEFAULT_APPROVAL_ANSWER_SECONDS);
      if (how === 'reject') {
        const error = kind === 'START' ? 'ApprovalRejected' : 'DatabaseRollbackDeclined';
        throw workflowError(error, 'Rejected by chairman: not this week');
      }
      return { ...APPROVED, kind, answeredAt: production.clock.now().toISOString() };
    };

  const bakeTask: TaskHandler = async (parameters) => {
    const { Payload } = parameters as { Payload: Record<string, unknown> };
    const request = parse(orchestratorRequestSchema, Payload);
    if (request.action !== 'startBake') throw new Error(`BakeStep sent ${request.action}`);
    await asLambda(async () => orchestrator(request))(undefined);
    const before = bakeFailures.length;
    if (options.overrideAtGreenWeight === request.canary.greenWeight) {
      triggerOutcomes.push(
        await alarmListener({
          trigger: 'MANUAL',
          deployment: executionName,
          reason: 'the Chairman saw checkout complaints',
          requestedBy: 'arn:aws:iam::123456789012:user/chairman',
        }),
      );
    } else if (verification.greenStopsAnsweringAtWeight === request.canary.greenWeight) {
      // Green dies as the bake starts; the prober sent off before the bake sees it long before any alarm could.
      verification.application.sides.green = 'down';
      await verification.runLastProber('bake');
    } else {
      await passTime(config.defaultBakeSeconds, () => failureOf(request.taskToken, before) !== undefined);
    }
    const failure = failureOf(request.taskToken, before);
    if (failure) throw workflowError(failure.error, failure.cause);
    throw workflowError('States.Timeout', 'the bake time elapsed');
  };

  /** The post-promotion watch: the token stored like a bake's; an alarm in the window fails it, else it times out. */
  const watchTask: TaskHandler = async (parameters) => {
    const { Payload } = parameters as { Payload: Record<string, unknown> };
    const request = parse(orchestratorRequestSchema, Payload);
    if (request.action !== 'startBake') throw new Error(`WatchOldSide sent ${request.action}`);
    await asLambda(async () => orchestrator(request))(undefined);
    const before = bakeFailures.length;
    const window = config.settings.blueRetentionSeconds;
    const startedWatch = production.clock.nowMs();
    const failed = () => failureOf(request.taskToken, before) !== undefined;
    const endIfFailed = () => {
      const failure = failureOf(request.taskToken, before);
      if (failure) throw workflowError(failure.error, failure.cause);
    };
    if (verification.greenStopsAnsweringInWatch) {
      // The watch's prober, sent off at promotion, is still probing production: all green, now dead.
      verification.application.sides.green = 'down';
      await verification.runLastProber('watch');
      endIfFailed();
    }
    if (options.alarmInWatch !== undefined && options.alarmInWatch.afterSeconds < window) {
      await passTime(options.alarmInWatch.afterSeconds, failed);
      endIfFailed();
      await sendAlarm(options.alarmInWatch.alarmName);
      endIfFailed();
    }
    if (options.greenWeightSetInWatch !== undefined) {
      const item = await lock.read();
      if (item?.sides === undefined) throw new Error('no sides on the lock during the watch');
      await router.setGreenWeight(item.sides, options.greenWeightSetInWatch);
    }
    await passTime(Math.max(0, window - (production.clock.nowMs() - startedWatch) / 1000), failed);
    endIfFailed();
    throw workflowError('States.Timeout', 'the watch window passed');
  };

  return { answer, bakeTask, watchTask };
}
