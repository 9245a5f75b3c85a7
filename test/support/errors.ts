import { DeploymentCrewError } from '../../lambdas/shared/errors';

/** What `promise` rejects with, checked to be an Error; fails the test when it resolves or rejects with a non-Error. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  return rejectionOf(promise, Error);
}

/** `rejection`, for tools that must fail with one of the crew's own errors (DeploymentCrewError) and nothing else. */
export async function crewRejection(promise: Promise<unknown>): Promise<DeploymentCrewError> {
  return rejectionOf(promise, DeploymentCrewError);
}

async function rejectionOf<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof type) return error;
    throw new Error(`rejected with something other than ${type.name}: ${String(error)}`);
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** An AWS SDK modelled exception (an RDS `…Fault`, an ECS `…Exception`) as the client throws it, with a 400 status. */
export function fault<T>(
  Fault: new (options: { message: string; $metadata: object }) => T,
  message = 'from the test',
): T {
  return new Fault({ message, $metadata: { httpStatusCode: 400 } });
}

/** A service's throttling error as the SDK throws it once its own retries are spent: client fault, `Rate exceeded`. */
export function serviceThrottling<T>(
  ServiceException: new (options: {
    name: string;
    $fault: 'client';
    message: string;
    $metadata: { httpStatusCode: number };
  }) => T,
  name: string,
): T {
  return new ServiceException({ name, $fault: 'client', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
}
