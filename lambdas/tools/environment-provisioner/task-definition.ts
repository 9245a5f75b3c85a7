import type { ContainerDefinition, RegisterTaskDefinitionCommandInput, Tag, TaskDefinition } from '@aws-sdk/client-ecs';
import { GreenProvisioningFailedError } from './errors';

/**
 * Green's task definition: a copy of the live revision with the release image in the served container and in every
 * other container built from the release's repository, and the live revision's tags (pure).
 */

/**
 * Every RegisterTaskDefinition field except `family` (ours) and `tags` (DescribeTaskDefinition returns them beside the
 * task definition, not in it, and only with `include: ['TAGS']`; see copyableTags). The Record type makes this list
 * exhaustive: when the SDK adds a registrable field, the type check fails here until it is listed (and it must also
 * exist on TaskDefinition).
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
 * The repository of an image reference: `registry/repository` without `:tag` or `@digest`. A colon before the last
 * slash belongs to the registry (`host:5000/repo`), not to a tag. Compared as written: `nginx` and
 * `docker.io/library/nginx` count as different repositories (a container that is not updated is the safe mistake).
 */
export function imageRepository(image: string): string {
  const withoutDigest = image.split('@', 1)[0] ?? image;
  const lastColon = withoutDigest.lastIndexOf(':');
  return lastColon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, lastColon) : withoutDigest;
}

/**
 * Tags a RegisterTaskDefinition may set: the `aws:` prefix is reserved for AWS (CloudFormation puts
 * `aws:cloudformation:*` on the task definitions it creates) and is refused in a request, so it is not copied.
 */
export function copyableTags(tags: readonly Tag[] | undefined): Tag[] {
  return (tags ?? [])
    .filter((tag) => tag.key !== undefined && !tag.key.toLowerCase().startsWith('aws:'))
    .map((tag) => ({ ...tag }));
}

/**
 * The RegisterTaskDefinition input for the release: the live revision's registrable fields and copyable tags, in
 * `family`, with the release image in `containerName` and in every other container whose image comes from the
 * release's repository (a sidecar or worker built from the same code, any tag or digest); containers from other
 * repositories are untouched. Throws GreenProvisioningFailed when the served container is not in the live revision.
 */
export function releaseTaskDefinitionInput(
  live: RegistrableTaskDefinition,
  release: {
    readonly family: string;
    readonly containerName: string;
    readonly image: string;
    readonly tags?: readonly Tag[];
  },
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
  const repository = imageRepository(release.image);
  const takesRelease = (container: ContainerDefinition) =>
    container.name === release.containerName ||
    (container.image !== undefined && imageRepository(container.image) === repository);
  const tags = copyableTags(release.tags);
  return {
    family: release.family,
    ...fields,
    containerDefinitions: containers.map((container) =>
      takesRelease(container) ? { ...container, image: release.image } : container,
    ),
    // Sent only when there is something to tag: a request with tags also needs ecs:TagResource.
    ...(tags.length > 0 ? { tags } : {}),
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

/** A task definition as registered or described, with the tags it carries (DescribeTaskDefinition's `tags`). */
export type Registration = RegistrableTaskDefinition & { readonly tags?: readonly Tag[] | undefined };

function canonicalTags(tags: readonly Tag[] | undefined): unknown {
  return canonical(copyableTags(tags).sort((a, b) => (a.key ?? '').localeCompare(b.key ?? '')));
}

/**
 * True when registering `b` would produce the same task definition as `a`: the registrable fields and the copyable
 * tags (in any order) are equal; family, read-only fields and `aws:` tags are ignored.
 */
export function sameRegistration(a: Registration, b: Registration): boolean {
  return (
    JSON.stringify(canonical(registrableCopyOf(a))) === JSON.stringify(canonical(registrableCopyOf(b))) &&
    JSON.stringify(canonicalTags(a.tags)) === JSON.stringify(canonicalTags(b.tags))
  );
}
