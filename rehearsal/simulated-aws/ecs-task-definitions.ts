import type {
  DescribeTaskDefinitionCommandInput,
  DescribeTaskDefinitionCommandOutput,
  RegisterTaskDefinitionCommandInput,
  RegisterTaskDefinitionCommandOutput,
  Tag,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { VirtualClock } from './clock';
import { SIM } from './constants';
import { initialTags, initialTaskDefinition, type Output, taskDefinitionArn } from './ecs-shapes';
import { assertOnlyKeys, awsError } from './errors';

/**
 * The simulated ECS's task definition family `shop-web`: revisions 6 (`1.3.8`) and 7 (`1.3.9`) seeded two and one
 * weeks ago, DescribeTaskDefinition (tags only on request) and RegisterTaskDefinition (with the defaults ECS fills in).
 */
export class EcsTaskDefinitions {
  private readonly taskDefinitions = new Map<string, TaskDefinition>();
  /** Tags by task definition ARN: DescribeTaskDefinition returns them only with `include: ['TAGS']`. */
  private readonly taskDefinitionTags = new Map<string, Tag[]>();

  constructor(private readonly clock: VirtualClock) {
    const registeredAt = new Date(clock.nowMs() - 14 * 24 * 3600 * 1000);
    this.taskDefinitions.set(
      taskDefinitionArn(SIM.taskDefinitionFamily, 6),
      initialTaskDefinition(6, '1.3.8', registeredAt),
    );
    this.taskDefinitions.set(
      taskDefinitionArn(SIM.taskDefinitionFamily, 7),
      initialTaskDefinition(7, '1.3.9', new Date(registeredAt.getTime() + 7 * 24 * 3600 * 1000)),
    );
    for (const arn of this.taskDefinitions.keys()) this.taskDefinitionTags.set(arn, initialTags());
  }

  /** `shop-web:8`, `shop-web` (latest ACTIVE) or a full ARN → the stored definition. */
  resolve(reference: string | undefined): TaskDefinition | undefined {
    if (reference === undefined) return undefined;
    if (reference.startsWith('arn:')) return this.taskDefinitions.get(reference);
    if (reference.includes(':')) {
      const [family = '', revision = ''] = reference.split(':');
      return this.taskDefinitions.get(taskDefinitionArn(family, Number(revision)));
    }
    const revisions = [...this.taskDefinitions.values()].filter(
      (td) => td.family === reference && td.status === 'ACTIVE',
    );
    return revisions.sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))[0];
  }

  describe(input: DescribeTaskDefinitionCommandInput): Output<DescribeTaskDefinitionCommandOutput> {
    assertOnlyKeys('ECS', 'DescribeTaskDefinition', input, ['taskDefinition', 'include']);
    const taskDefinition = this.resolve(input.taskDefinition);
    if (taskDefinition === undefined) throw awsError('ClientException', 'Unable to describe task definition.');
    if (!(input.include ?? []).includes('TAGS')) return { taskDefinition: structuredClone(taskDefinition) };
    const tags = this.taskDefinitionTags.get(taskDefinition.taskDefinitionArn ?? '') ?? [];
    return { taskDefinition: structuredClone(taskDefinition), tags: structuredClone(tags) };
  }

  register(input: RegisterTaskDefinitionCommandInput): Output<RegisterTaskDefinitionCommandOutput> {
    const tags = input.tags ?? [];
    if (tags.some((tag) => tag.key === undefined || tag.key.toLowerCase().startsWith('aws:'))) {
      throw awsError('InvalidParameterException', 'Tag keys with the aws: prefix are reserved for AWS use.');
    }
    const family = input.family ?? '';
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(family)) throw awsError('ClientException', `invalid family '${family}'`);
    const containers = input.containerDefinitions ?? [];
    if (containers.length === 0 || containers.some((c) => !c.name || !c.image)) {
      throw awsError('ClientException', 'Container definitions need a name and an image.');
    }
    const revision =
      Math.max(
        0,
        ...[...this.taskDefinitions.values()].filter((td) => td.family === family).map((td) => td.revision ?? 0),
      ) + 1;
    const { family: _family, tags: _tags, ...fields } = structuredClone(input);
    // ECS fills in defaults that the request may omit (the tools must not mistake them for differences).
    const taskDefinition: TaskDefinition = {
      volumes: [],
      placementConstraints: [],
      ...fields,
      containerDefinitions: containers.map((container) => ({
        mountPoints: [],
        volumesFrom: [],
        environment: [],
        ...structuredClone(container),
      })),
      taskDefinitionArn: taskDefinitionArn(family, revision),
      family,
      revision,
      status: 'ACTIVE',
      compatibilities: ['EC2', 'FARGATE'],
      registeredAt: this.clock.now(),
      registeredBy: `arn:aws:iam::${SIM.account}:role/deploymentcrew-orchestrator`,
    };
    this.taskDefinitions.set(taskDefinition.taskDefinitionArn ?? '', taskDefinition);
    this.taskDefinitionTags.set(taskDefinition.taskDefinitionArn ?? '', structuredClone(tags));
    return { taskDefinition: structuredClone(taskDefinition), tags: structuredClone(tags) };
  }
}
