import { type EvaluationResult, type IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { type RollbackCheck, refusalEvidence } from '../../shared/verification';

/**
 * Whether the RollbackCoordinator's role may make its rollback calls, by iam:SimulatePrincipalPolicy on the role: its
 * identity policies, permissions boundary and the organization's SCPs (resource policies are not simulated). One
 * simulation per distinct resource list, because a statement scoped to ARNs does not match the default `*`.
 *
 * The simulator returns one result per action whose decision is the most restrictive over the resources, with the
 * per-resource decisions in ResourceSpecificResults (older responses had one result per action and resource): every
 * result and every per-resource decision must be `allowed`.
 */

/** Actions grouped by the resources they are simulated on; `null` is `*` (no ResourceArns). */
export function simulationGroups(
  actions: readonly string[],
  resources: Readonly<Record<string, readonly string[]>>,
): { readonly actions: string[]; readonly resourceArns: string[] | null }[] {
  const groups = new Map<string, { actions: string[]; resourceArns: string[] | null }>();
  for (const action of new Set(actions)) {
    const arns = resources[action];
    const resourceArns = arns === undefined ? null : [...new Set(arns)].sort();
    const key = resourceArns === null ? '*' : JSON.stringify(resourceArns);
    const group = groups.get(key) ?? { actions: [], resourceArns };
    group.actions.push(action);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** What stands in the way of one action, or null when it is allowed everywhere it was simulated. */
function denial(action: string, results: readonly EvaluationResult[]): string | null {
  if (results.length === 0) return `${action}: the simulation returned no result`;
  const reasons = new Set<string>();
  for (const result of results) {
    const perResource = (result.ResourceSpecificResults ?? []).filter((r) => r.EvalResourceDecision !== 'allowed');
    for (const r of perResource)
      reasons.add(`${r.EvalResourceDecision ?? 'no decision'} on ${r.EvalResourceName ?? '?'}`);
    if (result.EvalDecision !== 'allowed' && perResource.length === 0) {
      reasons.add(`${result.EvalDecision ?? 'no decision'} on ${result.EvalResourceName ?? '*'}`);
    }
    if (result.OrganizationsDecisionDetail?.AllowedByOrganizations === false) reasons.add('denied by an SCP');
    if (result.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary === false) {
      reasons.add('denied by the permissions boundary');
    }
  }
  return reasons.size === 0 ? null : `${action}: ${[...reasons].join(', ')}`;
}

export async function permissionsCheck(
  client: IAMClient,
  roleArn: string,
  actions: readonly string[],
  resources: Readonly<Record<string, readonly string[]>>,
): Promise<RollbackCheck> {
  const check = (ok: boolean, evidence: string): RollbackCheck => ({ name: 'coordinator-permissions', ok, evidence });
  const byAction = new Map<string, EvaluationResult[]>();
  const groups = simulationGroups(actions, resources);
  try {
    for (const group of groups) {
      let marker: string | undefined;
      do {
        const page = await client.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: roleArn,
            ActionNames: group.actions,
            ...(group.resourceArns === null ? {} : { ResourceArns: group.resourceArns }),
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
  const denials = unique.map((action) => denial(action, byAction.get(action) ?? [])).filter((d) => d !== null);
  if (denials.length > 0) {
    return check(
      false,
      `role ${roleArn} is not allowed ${denials.length} of ${unique.length} rollback actions: ${denials.join('; ')}`,
    );
  }
  const scoped = groups.filter((g) => g.resourceArns !== null).reduce((n, g) => n + g.actions.length, 0);
  return check(
    true,
    `role ${roleArn} is allowed all ${unique.length} rollback actions (${scoped} simulated on their resources, ` +
      `${unique.length - scoped} on *): ${unique.join(', ')}`,
  );
}
