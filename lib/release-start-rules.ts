import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ListenerArnParts } from '../lambdas/shared/arns';
import {
  ECR_EVENT_SOURCE,
  ECR_IMAGE_ACTION_DETAIL_TYPE,
  ECR_PUSH_ACTION,
  ECR_PUSH_REQUESTER_PREFIX,
  ECR_SUCCESS_RESULT,
  RELEASE_CANDIDATE_DETAIL_TYPE,
  RELEASE_CANDIDATE_EVENT_SOURCE,
  releaseSourceProblem,
} from '../lambdas/shared/release-candidate-event';
import type { ChairmanNotifications } from './chairman-notifications';
import type { EcrPushStartSettings, ReleaseStartSettings } from './release-start-props';
import { DEAD_LETTER_QUEUE_REASON, WatchedDeadLetterQueue } from './watched-dead-letter-queue';

/**
 * Properties of the rules that start deployments from EventBridge.
 */
export interface ReleaseStartRulesProps {
  /** The deployment state machine the rules start. */
  readonly stateMachine: sfn.IStateMachine;
  /** The Chairman's topic, told when an event could not start an execution. */
  readonly notifications: ChairmanNotifications;
  /** The stack's partition, region and account (the listener's). */
  readonly where: ListenerArnParts;
  /** The crew's bus (`eventBusName`): the custom event's bus unless the settings name another. */
  readonly crewEventBusName: string;
  /** Whether the stack has a migration command: a push declared to change the schema needs one. */
  readonly migrationConfigured: boolean;
  /**
   * Source, bus and the optional ECR push rule.
   * @default - the `deployment-crew.release` event on the crew's bus, no ECR rule
   */
  readonly settings?: ReleaseStartSettings;
}

/**
 * EventBridge's retries of a StartExecution that Step Functions refused (throttled, unavailable), within the event's
 * age: backoff with jitter spreads 8 attempts over minutes. What still fails lands in the dead-letter queue.
 */
export const RELEASE_START_RETRY_ATTEMPTS = 8;
/** A release request this old is not started late behind the sender's back: it goes to the queue, and is alarmed. */
export const RELEASE_START_MAX_EVENT_AGE = Duration.hours(1);

/** A pushed tag becomes the release's version, which is at most 64 characters (lambdas/shared/deployment-request). */
const MAX_VERSION_LENGTH = 64;
/** `requestedBy` is at most 256 characters. */
const MAX_REQUESTED_BY_LENGTH = 256;
/** ECR's repository name syntax (a subset of the path the intake's image reference allows). */
const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const TAG_PATTERN = /^[A-Za-z0-9_.*-]{1,128}$/;

/**
 * Two ways to start a deployment without the console: a `Release Candidate Ready` event (source configurable, detail
 * = the console's input; the state machine gets the whole event and the intake unwraps it), and optionally a push to
 * an ECR repository, mapped by an input transformer to a release of the pushed digest. Both target the state machine
 * with one role that may only start it; an event EventBridge could not deliver after its retries goes to a
 * dead-letter queue whose alarm notifies the Chairman. Every execution still waits for the Chairman's approval.
 */
export class ReleaseStartRules extends Construct {
  readonly releaseCandidateRule: events.Rule;
  /** Only with `settings.ecrPush`. */
  readonly ecrPushRule: events.Rule | undefined;
  readonly role: iam.Role;
  readonly deadLetters: WatchedDeadLetterQueue;

  constructor(scope: Construct, id: string, props: ReleaseStartRulesProps) {
    super(scope, id);
    const settings = props.settings ?? {};
    const source = settings.source ?? RELEASE_CANDIDATE_EVENT_SOURCE;
    const sourceProblem = releaseSourceProblem(source);
    if (sourceProblem !== undefined) throw new Error(`releaseStart.source: ${sourceProblem}: ${source}`);
    if (settings.ecrPush !== undefined) checkEcrPush(settings.ecrPush, props.migrationConfigured);

    this.deadLetters = new WatchedDeadLetterQueue(this, 'UndeliveredEvents', {
      alarmNameSuffix: 'release-start-undelivered-events',
      description:
        'a release event could not start a deployment (StartExecution kept failing, or the event was over an hour ' +
        'old). The messages of the queue are the events: start those releases again, then delete the messages.',
      notifications: props.notifications,
    });
    // cdk-nag recognizes a queue as a DLQ only from another queue's redrive policy or a function's DeadLetterConfig.
    Validations.of(this.deadLetters.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `The dead-letter queue of the release start rules' EventBridge targets. ${DEAD_LETTER_QUEUE_REASON}`,
    });

    // EventBridge cannot name the rule that assumes the role without a dependency cycle: the account bounds it.
    this.role = new iam.Role(this, 'StartExecutionRole', {
      description: 'DeploymentCrew: EventBridge starts the deployment state machine (nothing else)',
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': props.where.account } },
      }),
    });
    const target = (input?: events.RuleTargetInput) =>
      new targets.SfnStateMachine(props.stateMachine, {
        role: this.role,
        deadLetterQueue: this.deadLetters.queue,
        retryAttempts: RELEASE_START_RETRY_ATTEMPTS,
        maxEventAge: RELEASE_START_MAX_EVENT_AGE,
        ...(input === undefined ? {} : { input }),
      });

    const busName = settings.eventBusName ?? props.crewEventBusName;
    this.releaseCandidateRule = new events.Rule(this, 'ReleaseCandidateRule', {
      description: `DeploymentCrew: a "${RELEASE_CANDIDATE_DETAIL_TYPE}" event (${source}) starts a deployment`,
      ...(busName === 'default' ? {} : { eventBus: events.EventBus.fromEventBusName(this, 'Bus', busName) }),
      // Only this account's events: a bus shared with other accounts must not let them start deployments here.
      eventPattern: { source: [source], detailType: [RELEASE_CANDIDATE_DETAIL_TYPE], account: [props.where.account] },
    });
    // The whole event is the input: the intake validates its detail like a console input.
    this.releaseCandidateRule.addTarget(target());

    if (settings.ecrPush === undefined) {
      this.ecrPushRule = undefined;
      return;
    }
    const ecrPush = settings.ecrPush;
    this.ecrPushRule = new events.Rule(this, 'EcrPushRule', {
      description: `DeploymentCrew: a push of ${ecrPush.repositoryName}:${ecrPush.tagPattern} starts a deployment`,
      eventPattern: {
        source: [ECR_EVENT_SOURCE],
        detailType: [ECR_IMAGE_ACTION_DETAIL_TYPE],
        // The image URI is built from the event's account: only this account's registry.
        account: [props.where.account],
        detail: {
          'action-type': [ECR_PUSH_ACTION],
          result: [ECR_SUCCESS_RESULT],
          'repository-name': [ecrPush.repositoryName],
          'image-tag': events.Match.wildcard(ecrPush.tagPattern),
        },
      },
    });
    this.ecrPushRule.addTarget(target(ecrPushInput(ecrPush, props.where.partition)));
  }
}

/**
 * The execution input of a push: the pushed digest (a tag can be moved later, a digest cannot), the tag as the
 * version, the stack's `schemaChange`, and a requester and notes that say the push started it.
 */
function ecrPushInput(ecrPush: EcrPushStartSettings, partition: string): events.RuleTargetInput {
  const tag = events.EventField.fromPath('$.detail.image-tag');
  const digest = events.EventField.fromPath('$.detail.image-digest');
  const repository = events.EventField.fromPath('$.detail.repository-name');
  const registry = `${events.EventField.account}.dkr.ecr.${events.EventField.region}.${ecrDomain(partition)}`;
  const schemaChange = ecrPush.schemaChange ?? false;
  return events.RuleTargetInput.fromObject({
    release: {
      version: tag,
      image: `${registry}/${repository}@${digest}`,
      schemaChange,
      notes:
        `Started by ECR push event ${events.EventField.eventId} at ${events.EventField.time}. schemaChange ` +
        `(${schemaChange}) is the stack's ecrPush setting: a push cannot declare it.`,
    },
    requestedBy: `${ECR_PUSH_REQUESTER_PREFIX}${ecrPush.repositoryName}:${tag}`,
  });
}

function ecrDomain(partition: string): string {
  return partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/** Refuses at synth what the intake would refuse for every push, so that no push starts a doomed execution. */
function checkEcrPush(ecrPush: EcrPushStartSettings, migrationConfigured: boolean): void {
  const { repositoryName, tagPattern } = ecrPush;
  if (repositoryName.length < 2 || repositoryName.length > 256 || !REPOSITORY_NAME.test(repositoryName)) {
    throw new Error(`releaseStart.ecrPush.repositoryName: not an ECR repository name: ${repositoryName}`);
  }
  const longestRequester = ECR_PUSH_REQUESTER_PREFIX.length + repositoryName.length + 1 + MAX_VERSION_LENGTH;
  if (longestRequester > MAX_REQUESTED_BY_LENGTH) {
    throw new Error(
      `releaseStart.ecrPush.repositoryName: too long for requestedBy (${MAX_REQUESTED_BY_LENGTH} characters with ` +
        `a ${MAX_VERSION_LENGTH}-character tag): ${repositoryName}`,
    );
  }
  if (!TAG_PATTERN.test(tagPattern)) {
    throw new Error(
      `releaseStart.ecrPush.tagPattern: letters, digits, "_", ".", "-" and the wildcard "*" only: ${tagPattern}`,
    );
  }
  if (wildcardMatches(tagPattern, 'latest')) {
    throw new Error(
      `releaseStart.ecrPush.tagPattern: ${tagPattern} matches "latest", which the intake refuses (a mutable tag): ` +
        'match version tags, e.g. "v*"',
    );
  }
  // cosign and attestation tags (`sha256-<digest>.sig`, `.att`): each push of one would start a refused deployment.
  const signatureTag = `sha256-${'a'.repeat(64)}`;
  const signature = ['.sig', '.att', '.sbom'].find((suffix) => wildcardMatches(tagPattern, `${signatureTag}${suffix}`));
  if (signature !== undefined) {
    throw new Error(
      `releaseStart.ecrPush.tagPattern: ${tagPattern} matches signature and attestation tags (sha256-<digest>${signature}), ` +
        'which the intake refuses: match version tags, e.g. "v*"',
    );
  }
  if (ecrPush.schemaChange === true && !migrationConfigured) {
    throw new Error('releaseStart.ecrPush.schemaChange: true needs the stack\'s migration command (prop "migration")');
  }
}

/** EventBridge's wildcard matching: `*` is any run of characters, the rest is literal. */
export function wildcardMatches(pattern: string, value: string): boolean {
  const literal = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${literal.join('.*')}$`).test(value);
}
