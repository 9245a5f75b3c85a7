/**
 * EventBridge's input transformer, as the template tests render it, and a sample ECR push event (ECR's documented
 * shape) to render it with.
 */

/** A target's InputTransformer as CloudFormation has it. */
export interface InputTransformer {
  readonly InputPathsMap: Record<string, string>;
  readonly InputTemplate: string;
}

/**
 * EventBridge's input transformer: each `<name>` is the value at its path; inside a JSON string the value's text,
 * elsewhere the value as JSON (a string gets its quotes). An unknown name is an error, not left in place.
 */
export function renderInput(transformer: InputTransformer, event: unknown): unknown {
  const valueAt = (path: string) =>
    path
      .replace(/^\$\./, '')
      .split('.')
      .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], event);
  const template = transformer.InputTemplate;
  let rendered = '';
  let inString = false;
  for (let index = 0; index < template.length; index += 1) {
    const character = template[index];
    if (character === '"' && template[index - 1] !== '\\') inString = !inString;
    if (character !== '<') {
      rendered += character;
      continue;
    }
    const end = template.indexOf('>', index);
    const name = template.slice(index + 1, end);
    const path = transformer.InputPathsMap[name];
    if (path === undefined) throw new Error(`the input template names <${name}>, which no input path defines`);
    const value = valueAt(path);
    if (value === undefined) throw new Error(`the sample event has nothing at ${path}`);
    rendered += inString ? String(value) : JSON.stringify(value);
    index = end;
  }
  return JSON.parse(rendered);
}

/** A successful push of shop/web:v1.4.0, as ECR sends it. */
export function ecrPushEvent(account: string, digest: string, tag = 'v1.4.0') {
  return {
    version: '0',
    id: '13cde686-328b-6117-af20-0e5566167482',
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account,
    time: '2026-11-24T10:29:57Z',
    region: 'eu-west-1',
    resources: [],
    detail: {
      result: 'SUCCESS',
      'repository-name': 'shop/web',
      'image-digest': digest,
      'action-type': 'PUSH',
      'image-tag': tag,
    },
  };
}
