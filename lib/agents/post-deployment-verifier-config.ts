import type { ListenerArnParts } from '../../lambdas/shared/arns';
import type { PostDeploymentVerifierConfigInput } from '../../lambdas/shared/config/post-deployment-verifier';
import { ROLLBACK_VERIFY_SECONDS } from '../config/time-budget';
import type { PostDeploymentVerifierAgentProps } from './post-deployment-verifier';

/**
 * The PostDeploymentVerifier's configuration (POST_DEPLOYMENT_VERIFIER_CONFIG) as its construct writes it, from the
 * crew's resolved configuration and the resources the stack made.
 */

/** The dry run's actions and resources as the verifier's configuration carries them (read back in full there). */
export interface CompactRollbackGrants {
  /** The actions simulated on `*` only: the function adds those of `rollbackResources`. */
  readonly rollbackActions: string[];
  readonly rollbackResources: Record<string, string[]>;
}

/**
 * The simulation's grants in few characters, for Lambda's 4 KB of environment: `*` is left out (an action not listed
 * is simulated on `*`), actions with the same resources share one comma-separated key, an action with resources is
 * not repeated in `rollbackActions`, and an ARN in the application's partition, region and account (the listener's)
 * is written without them (`rds:db:shop`).
 */
export function compactRollbackGrants(
  actions: readonly string[],
  byAction: Readonly<Record<string, readonly string[]>>,
  where: ListenerArnParts,
): CompactRollbackGrants {
  const local = `:${where.region}:${where.account}:`;
  const relative = (resource: string): string => {
    const match = /^arn:([^:]+):([^:]+)(:[^:]*:[^:]*:)(.*)$/.exec(resource);
    return match?.[1] === where.partition && match[3] === local ? `${match[2]}:${match[4]}` : resource;
  };
  const byList = new Map<string, { actions: string[]; resources: string[] }>();
  for (const [action, resources] of Object.entries(byAction)) {
    if (resources.length === 1 && resources[0] === '*') continue;
    const key = JSON.stringify(resources);
    const group = byList.get(key) ?? { actions: [], resources: resources.map(relative) };
    group.actions.push(action);
    byList.set(key, group);
  }
  const groups = [...byList.values()];
  const withResources = new Set(groups.flatMap((group) => group.actions));
  const onStar = actions.filter((action) => !withResources.has(action));
  return {
    // The schema wants one action at least: with none on `*`, the list stays whole.
    rollbackActions: onStar.length > 0 ? onStar : [...actions],
    rollbackResources: Object.fromEntries(groups.map((group) => [group.actions.join(','), group.resources])),
  };
}

/** Every alarm the pipeline relies on: the cutover alarms and the extra alarms. */
function monitoredAlarms(props: PostDeploymentVerifierAgentProps): string[] {
  return [...new Set([...props.alarms.alarmNames, ...props.config.extraAlarmNames])];
}

export function verifierConfigFor(props: PostDeploymentVerifierAgentProps): PostDeploymentVerifierConfigInput {
  const { config, postDeployment } = props;
  return {
    // As written: the function applies the defaults when it reads them, and Lambda's environment is small.
    suite: [...postDeployment.suiteInput],
    productionUrl: postDeployment.productionUrl,
    testListenerUrl: postDeployment.testListenerUrl,
    extraHeaders: { ...postDeployment.greenHeaders },
    monitoring: {
      alarmNames: monitoredAlarms(props),
      dashboardName: props.dashboardName,
      logGroupNames: [...postDeployment.logGroupNames],
      logsRecentWithinMinutes: postDeployment.logsRecentWithinMinutes,
      onMissing: postDeployment.onMissingMonitoring,
    },
    dryRun: {
      clusterName: config.ecs.clusterName,
      coordinatorRoleArn: props.coordinatorRole.roleArn,
      ...compactRollbackGrants(
        props.coordinatorRollbackActions,
        props.coordinatorRollbackResources ?? {},
        config.where,
      ),
      rollbackContext: Object.fromEntries(
        Object.entries(props.coordinatorRollbackContext ?? {}).map(([action, entries]) => [
          action,
          entries.map((entry) => ({ ...entry, ContextKeyValues: [...entry.ContextKeyValues] })),
        ]),
      ),
      minHealthyTargets: postDeployment.minHealthyTargets,
      expectedDesiredCount: postDeployment.expectedDesiredCount,
      rollbackVerifySeconds: ROLLBACK_VERIFY_SECONDS,
    },
    probe: {
      intervalMs: postDeployment.probes.intervalMs,
      rule: { ...postDeployment.probes.rule },
      rollbackTriggerFunctionName: props.rollbackTrigger.functionName,
    },
    report: {
      ...props.reports.storeSettings,
      region: config.where.region,
      dashboards: [{ name: props.dashboardName, url: props.dashboardUrl }],
    },
    thresholds: { ...config.thresholds },
    listenerArn: config.listenerArn,
    tableName: props.table.tableName,
    lockKey: config.lockKey,
  };
}
