import { DescribeServicesCommand, type ECSClient, type Service } from '@aws-sdk/client-ecs';
import { errorMessage, errorName } from '../../shared/errors';
import { describeFailures, FATAL_AWS_ERRORS, type Fail } from './errors';

/** The AWS calls provisioning and migration share: fatal errors become the step's error, the rest propagates. */

export async function call<T>(fail: Fail, what: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const name = errorName(error);
    if (name !== undefined && FATAL_AWS_ERRORS.has(name)) throw fail(`${what}: ${name}: ${errorMessage(error)}`);
    throw error;
  }
}

/** DescribeServices; any `failures` entry (MISSING, …) or a service that is not ACTIVE fails with `fail`. */
export async function describeActiveServices(
  ecs: ECSClient,
  cluster: string,
  names: readonly string[],
  fail: Fail,
): Promise<Service[]> {
  const output = await call(fail, `DescribeServices in cluster '${cluster}'`, () =>
    ecs.send(new DescribeServicesCommand({ cluster, services: [...names] })),
  );
  const failures = output.failures ?? [];
  if (failures.length > 0) {
    throw fail(`cannot describe services in cluster '${cluster}': ${describeFailures(failures)}`);
  }
  return names.map((name) => {
    const service = output.services?.find((candidate) => candidate.serviceName === name);
    if (service === undefined) throw fail(`service '${name}' not found in cluster '${cluster}'`);
    if (service.status !== 'ACTIVE') {
      throw fail(`service '${name}' in cluster '${cluster}' is ${service.status ?? 'in an unknown state'}, not ACTIVE`);
    }
    return service;
  });
}
