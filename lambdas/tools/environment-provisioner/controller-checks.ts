import type { Service } from '@aws-sdk/client-ecs';
import { EcsControllerConflictError } from './errors';

/**
 * Whether a service of the pair leaves its deployments and the listener to this pipeline (pure). The pipeline moves
 * the listener's weights itself; a service that CodeDeploy, an external controller or ECS's own blue/green, linear or
 * canary deployments drive would move the listener too, and two writers on one listener race.
 */

interface Finding {
  /** What the service has, after "<role> service '<name>'". */
  readonly found: string;
  /** What the owner changes so the pipeline may drive it. */
  readonly change: string;
}

function findings(service: Service): Finding[] {
  const result: Finding[] = [];
  const controller = service.deploymentController?.type;
  // DescribeServices omits the controller only for the default, ECS (rolling updates).
  if (controller !== undefined && controller !== 'ECS') {
    result.push({
      found: `uses the ${controller} deployment controller`,
      change: 'switch it to the ECS deployment controller: only ECS rolling updates can be driven with UpdateService',
    });
  }
  // ROLLING only: BLUE_GREEN, LINEAR and CANARY shift the listener, and a strategy ECS adds later is not trusted either.
  const strategy = service.deploymentConfiguration?.strategy;
  if (strategy !== undefined && strategy !== 'ROLLING') {
    result.push({
      found: `has deploymentConfiguration.strategy ${strategy}, an ECS-native traffic-shifting strategy`,
      change: 'set deploymentConfiguration.strategy to ROLLING',
    });
  }
  for (const binding of service.loadBalancers ?? []) {
    const advanced = binding.advancedConfiguration;
    if (advanced === undefined) continue;
    const details = [
      advanced.alternateTargetGroupArn === undefined
        ? undefined
        : `alternate target group ${advanced.alternateTargetGroupArn}`,
      advanced.productionListenerRule === undefined
        ? undefined
        : `production listener rule ${advanced.productionListenerRule}`,
      advanced.testListenerRule === undefined ? undefined : `test listener rule ${advanced.testListenerRule}`,
    ].filter((detail) => detail !== undefined);
    result.push({
      found:
        `has advancedConfiguration on its load balancer entry for ${binding.targetGroupArn ?? 'an unnamed target group'}` +
        (details.length > 0 ? ` with ${details.join(', ')}` : ''),
      change: 'remove advancedConfiguration from that load balancer entry',
    });
  }
  return result;
}

/**
 * Refuses, with EcsControllerConflictError, when either service is driven by anything but ECS rolling updates. The
 * message names each service, what it has and what to change. Read-only: it only looks at DescribeServices output.
 */
export function assertPipelineControlled(services: readonly { role: 'live' | 'green'; service: Service }[]): void {
  const sentences = services.flatMap(({ role, service }) => {
    const found = findings(service);
    if (found.length === 0) return [];
    const name = service.serviceName ?? service.serviceArn ?? 'unnamed';
    return [`${role} service '${name}' ${found.map((finding) => `${finding.found} (${finding.change})`).join('; ')}.`];
  });
  if (sentences.length === 0) return;
  throw new EcsControllerConflictError(
    `${sentences.join(' ')} ECS, CodeDeploy or an external controller would then move the listener's traffic ` +
      'itself and race this pipeline; nothing was changed.',
  );
}
