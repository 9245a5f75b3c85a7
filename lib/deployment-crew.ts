import { Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ApprovalRequestAgent } from './agents/approval-request';
import { ApprovalResponseAgent } from './agents/approval-response';
import { BlueGreenOrchestratorAgent } from './agents/blue-green-orchestrator';
import { DeploymentIntakeAgent } from './agents/deployment-intake';
import { PostDeploymentVerifierAgent } from './agents/post-deployment-verifier';
import { PreDeploymentValidatorAgent } from './agents/pre-deployment-validator';
import { RollbackCoordinatorAgent } from './agents/rollback-coordinator';
import { RollbackTriggerAgent } from './agents/rollback-trigger';
import { AlarmRollbackRule } from './alarm-rollback-rule';
import { ChairmanNotifications } from './chairman-notifications';
import { checkHistoryBudget } from './config/history-budget';
import { guardListenerLocation } from './config/region-guard';
import { resolveConfig } from './config/resolve-config';
import { checkTimeBudget } from './config/time-budget';
import { CrewStateTable } from './crew-state-table';
import { CutoverAlarms } from './cutover-alarms';
import type { DeploymentCrewProps } from './deployment-crew-props';
import { DeploymentDashboard } from './deployment-dashboard';
import {
  DeploymentStateMachine,
  executionsArnOf,
  readDefinition,
  stateMachineNameFor,
} from './deployment-state-machine';
import { ReleaseStartRules } from './release-start-rules';
import { ReportBucket } from './report-bucket';

/**
 * DeploymentCrew: a Step Functions Standard workflow that takes a release from "requested" through approval,
 * validation and backup, a canary cutover on the ALB's weighted target groups, and back out again by itself when
 * green misbehaves. One Lambda and one least-privilege role per agent (each in its own construct under
 * `lib/agents/`), a lock per listener, alarms that roll back through EventBridge, and the Chairman in the loop
 * through task tokens and an SNS topic. This construct only composes them.
 */
export class DeploymentCrew extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly notifications: ChairmanNotifications;
  readonly stateTable: CrewStateTable;
  readonly alarms: CutoverAlarms;
  readonly intake: DeploymentIntakeAgent;
  readonly approvalRequest: ApprovalRequestAgent;
  readonly approvalResponse: ApprovalResponseAgent;
  readonly approvalUrl: lambda.FunctionUrl;
  readonly preDeploymentValidator: PreDeploymentValidatorAgent;
  readonly orchestrator: BlueGreenOrchestratorAgent;
  readonly rollbackCoordinator: RollbackCoordinatorAgent;
  readonly rollbackTrigger: RollbackTriggerAgent;
  readonly rollbackUrl: lambda.FunctionUrl;
  /** Smoke suites, the monitoring check, the rollback dry run, the probes of every bake and the report. */
  readonly postDeploymentVerifier: PostDeploymentVerifierAgent;
  /** Where deployment reports are kept (reports/<deployment>/report.json|md). */
  readonly reports: ReportBucket;
  /** The cutover seen as the verdict sees it: traffic share, error rate, p95, DB connections, probes, alarms. */
  readonly dashboard: DeploymentDashboard;
  /** The EventBridge rules that start a deployment: `Release Candidate Ready`, and ECR pushes when configured. */
  readonly releaseStart: ReleaseStartRules;
  /** The lock item's partition key in the state table (one deployment at a time per listener). */
  readonly lockKey: string;

  constructor(scope: Construct, id: string, props: DeploymentCrewProps) {
    super(scope, id);
    const config = resolveConfig(props);
    this.lockKey = config.lockKey;
    guardListenerLocation(this, config);
    const definition = readDefinition();
    checkTimeBudget(config, definition);
    checkHistoryBudget(config, definition);

    this.stateTable = new CrewStateTable(this, 'State');
    this.notifications = new ChairmanNotifications(this, 'Chairman', { emails: props.chairmanEmails });
    const table = this.stateTable.table;
    this.alarms = new CutoverAlarms(this, 'Alarms', {
      alarmNamePrefix: Stack.of(this).stackName,
      listenerArn: config.listenerArn,
      targetGroupArns: config.targetGroupArns,
      database: config.database,
      databaseMaxConnections: config.databaseMaxConnections,
      thresholds: config.thresholds,
    });

    this.reports = new ReportBucket(this, 'Reports');
    this.dashboard = new DeploymentDashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-deployment`,
      listenerArn: config.listenerArn,
      targetGroupArns: config.targetGroupArns,
      database: config.database,
      databaseMaxConnections: config.databaseMaxConnections,
      thresholds: config.thresholds,
      alarms: this.alarms,
      extraAlarmNames: config.extraAlarmNames,
    });

    this.intake = new DeploymentIntakeAgent(this, 'DeploymentIntake', {
      config,
      executionTimeoutSeconds: definition.timeoutSeconds,
    });
    // Human-facing calls have their own functions (and roles): they call back into the state machine, and granting
    // that to a function the state machine invokes would make a dependency cycle.
    this.approvalResponse = new ApprovalResponseAgent(this, 'ApprovalResponse', { config, table });
    this.approvalUrl = this.approvalResponse.url;
    this.approvalRequest = new ApprovalRequestAgent(this, 'ApprovalRequest', {
      config,
      table,
      notifications: this.notifications,
      responder: this.approvalResponse,
    });
    this.preDeploymentValidator = new PreDeploymentValidatorAgent(this, 'PreDeploymentValidator', { config });
    this.orchestrator = new BlueGreenOrchestratorAgent(this, 'BlueGreenOrchestrator', {
      config,
      table,
      alarms: this.alarms,
    });
    this.rollbackCoordinator = new RollbackCoordinatorAgent(this, 'RollbackCoordinator', { config, table });
    this.rollbackTrigger = new RollbackTriggerAgent(this, 'RollbackTrigger', {
      config,
      table,
      alarms: this.alarms,
      notifications: this.notifications,
    });
    this.rollbackUrl = this.rollbackTrigger.url;
    const stateMachineName = stateMachineNameFor(Stack.of(this).stackName);
    this.postDeploymentVerifier = new PostDeploymentVerifierAgent(this, 'PostDeploymentVerifier', {
      config,
      executionsArn: executionsArnOf(config.where, stateMachineName),
      table,
      alarms: this.alarms,
      dashboardName: this.dashboard.dashboardName,
      dashboardUrl: this.dashboard.dashboardUrl,
      coordinatorRole: this.rollbackCoordinator.role,
      coordinatorRollbackActions: this.rollbackCoordinator.rollbackActions,
      coordinatorRollbackResources: this.rollbackCoordinator.rollbackResources,
      coordinatorRollbackContext: this.rollbackCoordinator.rollbackContext,
      postDeployment: config.postDeployment,
      rollbackTrigger: this.rollbackTrigger.function,
      reports: this.reports,
      notifications: this.notifications,
    });
    // A dead green found by the prober takes the alarm's path: the alarm listener puts traffic back.
    this.rollbackTrigger.allowProbeReports(this.postDeploymentVerifier.function);
    new AlarmRollbackRule(this, 'AlarmRollback', {
      alarmNames: [...this.alarms.alarmNames, ...config.extraAlarmNames],
      target: this.rollbackTrigger.function,
      notifications: this.notifications,
    });

    const machine = new DeploymentStateMachine(this, 'Workflow', {
      stateMachineName,
      logRetention: config.logRetention,
      substitutions: {
        DeploymentIntakeFunctionArn: this.intake.function.functionArn,
        ApprovalRequestFunctionArn: this.approvalRequest.function.functionArn,
        PreDeploymentValidatorFunctionArn: this.preDeploymentValidator.function.functionArn,
        BlueGreenOrchestratorFunctionArn: this.orchestrator.function.functionArn,
        RollbackCoordinatorFunctionArn: this.rollbackCoordinator.function.functionArn,
        PostDeploymentVerifierFunctionArn: this.postDeploymentVerifier.function.functionArn,
        CrewTableName: table.tableName,
        LockKey: config.lockKey,
        ListenerArn: config.listenerArn,
        ChairmanTopicArn: this.notifications.topic.topicArn,
        EventBusName: config.eventBusName,
      },
      invokedFunctions: [
        this.intake,
        this.approvalRequest,
        this.preDeploymentValidator,
        this.orchestrator,
        this.rollbackCoordinator,
        this.postDeploymentVerifier,
      ].map((agent) => agent.function),
      table,
      notifications: this.notifications,
      eventBusName: config.eventBusName,
    });
    this.stateMachine = machine.stateMachine;
    this.approvalResponse.allowTaskResponses(this, this.stateMachine);
    this.rollbackTrigger.allowBakeInterrupts(this, this.stateMachine);
    this.releaseStart = new ReleaseStartRules(this, 'ReleaseStart', {
      stateMachine: this.stateMachine,
      notifications: this.notifications,
      where: config.where,
      crewEventBusName: config.eventBusName,
      migrationConfigured: props.migration !== undefined,
      settings: props.releaseStart,
    });
  }
}
