/**
 * A small evaluator of Allow statements for template tests: does a statement let `action` on `resource` (an ARN with
 * the partition abstracted, as the template tests render it) with these resource tags? Only the condition operators
 * and keys the crew uses on resource tags are understood; any other makes it throw, so a test cannot pass by a
 * condition it did not read.
 */

export interface EvaluatedStatement {
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly condition: unknown;
}

/** A resource as IAM sees it at request time: its ARN and its tags. */
export interface RequestedResource {
  readonly arn: string;
  readonly tags: Readonly<Record<string, string>>;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

function matches(pattern: string, value: string): boolean {
  return globToRegExp(pattern).test(value);
}

const RESOURCE_TAG_KEY = /^(?:aws:ResourceTag|rds:db-tag|rds:cluster-tag)\/(.+)$/;

/** The value of a condition key for this request; undefined when the key is absent. */
function keyValue(key: string, resource: RequestedResource): string | undefined {
  const tag = RESOURCE_TAG_KEY.exec(key);
  if (tag === null) throw new Error(`condition key '${key}' is not understood by this evaluator`);
  return resource.tags[tag[1] ?? ''];
}

function asStrings(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).map(String);
}

function conditionHolds(condition: unknown, resource: RequestedResource): boolean {
  if (condition === undefined) return true;
  if (typeof condition !== 'object' || condition === null) throw new Error(`odd condition ${String(condition)}`);
  return Object.entries(condition as Record<string, Record<string, unknown>>).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const actual = keyValue(key, resource);
      const values = asStrings(expected);
      switch (operator) {
        case 'Null':
          return values.every((value) => (value === 'true') === (actual === undefined));
        case 'StringEquals':
          return actual !== undefined && values.includes(actual);
        case 'StringLike':
          return actual !== undefined && values.some((value) => matches(value, actual));
        default:
          throw new Error(`condition operator '${operator}' is not understood by this evaluator`);
      }
    }),
  );
}

/** The Allow statements that let `action` on `resource`; an empty list means the request is denied. */
export function allowingStatements<T extends EvaluatedStatement>(
  statements: readonly T[],
  action: string,
  resource: RequestedResource,
): T[] {
  return statements.filter(
    (statement) =>
      statement.effect === 'Allow' &&
      statement.actions.some((granted) => matches(granted, action)) &&
      statement.resources.some((granted) => matches(granted, resource.arn)) &&
      conditionHolds(statement.condition, resource),
  );
}
