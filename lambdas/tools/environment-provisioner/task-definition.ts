import type { ContainerDefinition, RegisterTaskDefinitionCommandInput, TaskDefinition } from '@aws-sdk/client-ecs';
import { GreenProvisioningFailedError } from './errors';

/** Green's task definition: a copy of the live revision with only the served container's image replaced (pure). */

/**
 * Every RegisterTaskDefinition field except `family` (ours) and `tags` (DescribeTaskDefinition does not return them
 * unless asked, and copying them would need ecs:TagResource). The Record type makes this list exhaustive: when the SDK
 * adds a registrable field, the type check fails here until it is listed (and it must also exist on TaskDefinition).
 */
const REGISTRABLE: Record<Exclude<keyof RegisterTaskDefinitionCommandInput, 'family' | 'tags'>, true> = {
  containerDefinitions: true,
  taskRoleArn: true,
  executionRoleArn: true,
  networkMode: true,
  volumes: true,
  placementConstraints: true,
  requiresCompatibilities: true,
  cpu: true,
  memory: true,
  runtimePlatform: true,
  ephemeralStorage: true,
  proxyConfiguration: true,
  pidMode: true,
  ipcMode: true,
  inferenceAccelerators: true,
  enableFaultInjection: true,
};
export type RegistrableField = keyof typeof REGISTRABLE;
export const REGISTRABLE_TASK_DEFINITION_FIELDS = Object.keys(REGISTRABLE) as readonly RegistrableField[];

/** The registrable part of a task definition (read-only fields such as ARN, revision, status are not in it). */
export type RegistrableTaskDefinition = Pick<TaskDefinition, RegistrableField>;

function copyField<K extends RegistrableField>(
  target: RegistrableTaskDefinition,
  source: RegistrableTaskDefinition,
  key: K,
): void {
  const value = source[key];
  if (value !== undefined && value !== null) target[key] = structuredClone(value);
}

/** A deep copy of the registrable fields that are set; everything else (ARN, revision, status, …) is dropped. */
export function registrableCopyOf(taskDefinition: RegistrableTaskDefinition): RegistrableTaskDefinition {
  const copy: RegistrableTaskDefinition = {};
  for (const field of REGISTRABLE_TASK_DEFINITION_FIELDS) copyField(copy, taskDefinition, field);
  return copy;
}

/**
 * The RegisterTaskDefinition input for the release: the live revision's registrable fields, in `family`, with the
 * image of `containerName` (and of no other container) replaced. Throws GreenProvisioningFailed when the container is
 * not in the live revision.
 */
export function releaseTaskDefinitionInput(
  live: RegistrableTaskDefinition,
  release: { readonly family: string; readonly containerName: string; readonly image: string },
): RegisterTaskDefinitionCommandInput {
  const fields = registrableCopyOf(live);
  const containers: ContainerDefinition[] = fields.containerDefinitions ?? [];
  const matching = containers.filter((container) => container.name === release.containerName);
  if (matching.length !== 1) {
    const names = containers.map((container) => `'${container.name ?? '?'}'`).join(', ') || 'none';
    throw new GreenProvisioningFailedError(
      `the live task definition has ${matching.length} containers named '${release.containerName}' (containers: ${names})`,
    );
  }
  return {
    family: release.family,
    ...fields,
    containerDefinitions: containers.map((container) =>
      container.name === release.containerName ? { ...container, image: release.image } : container,
    ),
  };
}

/** Sorted keys; undefined, null and empty arrays dropped (ECS reports some defaults as [] or omits them). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(record).sort()) {
      const item = canonical(record[key]);
      if (item === undefined || item === null || (Array.isArray(item) && item.length === 0)) continue;
      out[key] = item;
    }
    return out;
  }
  return value;
}

/** True when registering `b` would produce the same task definition as `a` (family and read-only fields ignored). */
export function sameRegistration(a: RegistrableTaskDefinition, b: RegistrableTaskDefinition): boolean {
  return JSON.stringify(canonical(registrableCopyOf(a))) === JSON.stringify(canonical(registrableCopyOf(b)));
}
