import { type EvaluationResult, type IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { type RollbackCheck, refusalEvidence, type SimulationContextEntry } from '../../shared/verification';

/**
 * Whether the RollbackCoordinator's role may make its rollback calls, by iam:SimulatePrincipalPolicy on the role: its
 * identity policies, permissions boundary and the organization's SCPs (resource policies are not simulated). One
 * simulation per distinct resource list, because a statement scoped to ARNs does not match the default `*`.
 *
 * The simulator returns one result per action whose decision is the most restrictive over the resources, with the
 * per-resource decisions in ResourceSpecificResults (older responses had one result per action and resource): every
 * result and every per-resource decision must be `allowed`. A conditioned allow evaluates as implicitDeny when the
 * simulation lacks the condition's keys (MissingContextValues): that is reported as not proven, with the keys, since
 * the real call (which carries them) may well be allowed. Actions are simulated with the context entries given for
 * them, each distinct context in a simulation of its own, because ContextEntries apply to every action of a call.
 */

type Group = { actions: string[]; resourceArns: string[] | null; contextEntries: SimulationContextEntry[] | null };

/** Actions grouped by the resources and the context they are simulated with; `null` is `*` / no ContextEntries. */
export function simulationGroups(
  actions: readonly string[],
  resources: Readonly<Record<string, readonly string[]>>,
  context: Readonly<Record<string, readonly SimulationContextEntry[]>> = {},
): Group[] {
  const groups = new Map<string, Group>();
  for (const action of new Set(actions)) {
    const arns = resources[action];
    const resourceArns = arns === undefined ? null : [...new Set(arns)].sort();
    const entries = context[action];
    const contextEntries = entries === undefined ? null : entries.map((entry) => ({ ...entry }));
    const key = JSON.stringify([resourceArns ?? '*', contextEntries]);
    const group = groups.get(key) ?? { actions: [], resourceArns, contextEntries };
    group.actions.push(action);
    groups.set(key, group);
  }
  return [...groups.values()];
}

interface Denial {
  readonly text: string;
  /** Only an implicit deny with condition keys missing from the simulation: not a proven denial. */
  readonly notProven: boolean;
}

/** What stands in the way of one action, or null when it is allowed everywhere it was simulated. */
function denial(action: string, results: readonly EvaluationResult[]): Denial | null {
  if (results.length === 0) return { text: `${action}: the simulation returned no result`, notProven: false };
  const reasons = new Set<string>();
  const missing = new Set<string>();
  let definite = false;
  for (const result of results) {
    const perResource = (result.ResourceSpecificResults ?? []).filter((r) => r.EvalResourceDecision !== 'allowed');
    for (const r of perResource) {
      reasons.add(`${r.EvalResourceDecision ?? 'no decision'} on ${r.EvalResourceName ?? '?'}`);
      if (r.EvalResourceDecision !== 'implicitDeny') definite = true;
    }
    if (result.EvalDecision !== 'allowed') {
      for (const key of result.MissingContextValues ?? []) missing.add(key);
      for (const r of perResource) for (const key of r.MissingContextValues ?? []) missing.add(key);
      if (perResource.length === 0)
        reasons.add(`${result.EvalDecision ?? 'no decision'} on ${result.EvalResourceName ?? '*'}`);
      if (result.EvalDecision !== 'implicitDeny') definite = true;
    }
    if (result.OrganizationsDecisionDetail?.AllowedByOrganizations === false) {
      reasons.add('denied by an SCP');
      definite = true;
    }
    if (result.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary === false) {
      reasons.add('denied by the permissions boundary');
      definite = true;
    }
  }
  if (reasons.size === 0) return null;
  const text = `${action}: ${[...reasons].join(', ')}`;
  if (missing.size === 0) return { text, notProven: false };
  const keys = `the simulation lacked the condition keys ${[...missing].join(', ')} (give them in rollbackContext)`;
  return definite
    ? { text: `${text}; ${keys}`, notProven: false }
    : { text: `${text}, not proven: ${keys}`, notProven: true };
}

export async function permissionsCheck(
  client: IAMClient,
  roleArn: string,
  actions: readonly string[],
  resources: Readonly<Record<string, readonly string[]>>,
  context: Readonly<Record<string, readonly SimulationContextEntry[]>> = {},
): Promise<RollbackCheck> {
  const check = (ok: boolean, evidence: string): RollbackCheck => ({ name: 'coordinator-permissions', ok, evidence });
  const byAction = new Map<string, EvaluationResult[]>();
  const groups = simulationGroups(actions, resources, context);
  try {
    for (const group of groups) {
      let marker: string | undefined;
      do {
        const page = await client.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: roleArn,
            ActionNames: group.actions,
            ...(group.resourceArns === null ? {} : { ResourceArns: group.resourceArns }),
            ...(group.contextEntries === null ? {} : { ContextEntries: group.contextEntries }),
            ...(marker === undefined ? {} : { Marker: marker }),
          }),
        );
        for (const result of page.EvaluationResults ?? []) {
          const name = result.EvalActionName ?? '';
          // IAM compares action names case-insensitively and may answer in its own casing.
          const asked = group.actions.find((a) => a.toLowerCase() === name.toLowerCase());
          if (asked !== undefined) byAction.set(asked, [...(byAction.get(asked) ?? []), result]);
        }
        marker = page.IsTruncated === true ? page.Marker : undefined;
      } while (marker !== undefined && marker !== '');
    }
  } catch (error) {
    return check(
      false,
      `role ${roleArn}: SimulatePrincipalPolicy ${refusalEvidence(error, ['NoSuchEntityException', 'NoSuchEntity'])}`,
    );
  }
  const unique = [...new Set(actions)];
  const found = unique.map((action) => denial(action, byAction.get(action) ?? [])).filter((d) => d !== null);
  if (found.length > 0) {
    const denied = found.filter((d) => !d.notProven).map((d) => d.text);
    const unproven = found.filter((d) => d.notProven).map((d) => d.text);
    const parts = [
      ...(denied.length === 0
        ? []
        : [` is not allowed ${denied.length} of ${unique.length} rollback actions: ${denied.join('; ')}`]),
      ...(unproven.length === 0
        ? []
        : [
            `${denied.length === 0 ? ':' : ';'} ${unproven.length} of ${unique.length} rollback actions not proven allowed: ${unproven.join('; ')}`,
          ]),
    ];
    return check(false, `role ${roleArn}${parts.join('')}`);
  }
  const scoped = groups.filter((g) => g.resourceArns !== null).reduce((n, g) => n + g.actions.length, 0);
  return check(
    true,
    `role ${roleArn} is allowed all ${unique.length} rollback actions (${scoped} simulated on their resources, ` +
      `${unique.length - scoped} on *): ${unique.join(', ')}`,
  );
}
