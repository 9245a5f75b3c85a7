import { JSONPath } from 'jsonpath-plus';
import type { JsonAssertion } from '../../shared/smoke-suite';

/** Values are shown in failures up to this length: a response body may be large. */
const SHOWN_VALUE_LENGTH = 200;

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > SHOWN_VALUE_LENGTH ? `${text.slice(0, SHOWN_VALUE_LENGTH)}…` : text;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/**
 * The failures of `assertions` on a JSON body, in words (empty when all hold). Script expressions in a path are not
 * evaluated (`eval: false`): a path is configuration, but the body it runs on is the application's.
 */
export function jsonAssertionFailures(body: unknown, assertions: readonly JsonAssertion[]): string[] {
  const failures: string[] = [];
  for (const assertion of assertions) {
    let matches: unknown[];
    try {
      matches = JSONPath({ path: assertion.path, json: body as object, eval: false, wrap: true }) as unknown[];
    } catch (error) {
      failures.push(`${assertion.path}: not a usable JSONPath (${error instanceof Error ? error.message : error})`);
      continue;
    }
    const [first] = matches;
    if (assertion.exists !== undefined && assertion.exists !== matches.length > 0) {
      failures.push(`${assertion.path}: expected ${assertion.exists ? 'a value' : 'nothing'}, found ${matches.length}`);
    }
    if (assertion.equals !== undefined && (matches.length === 0 || !deepEqual(first, assertion.equals))) {
      failures.push(
        `${assertion.path}: expected ${shown(assertion.equals)}, got ${matches.length === 0 ? 'nothing' : shown(first)}`,
      );
    }
    if (assertion.matches !== undefined) {
      const text = typeof first === 'string' ? first : JSON.stringify(first);
      if (matches.length === 0 || !new RegExp(assertion.matches).test(text ?? '')) {
        failures.push(
          `${assertion.path}: expected to match /${assertion.matches}/, got ${matches.length === 0 ? 'nothing' : shown(first)}`,
        );
      }
    }
  }
  return failures;
}
