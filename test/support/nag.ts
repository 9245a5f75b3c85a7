import type { App } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { vi } from 'vitest';

/** The packs the app registers (bin/deployment-crew.ts): every template test holds the stack to both. */
export const NAG_PACKS = () => [new AwsSolutionsChecks(), new ServerlessChecks()];

/** Every pack's unacknowledged findings in a tree, as `<pack>: <rule> at <construct path>`. */
export function nagFindings(scope: IConstruct, packs = NAG_PACKS()): string[] {
  return packs.flatMap((pack) =>
    pack
      .validateScope(scope)
      .violations.flatMap((violation) =>
        violation.violatingResources.map(
          (resource) => `${pack.readPackName}: ${violation.ruleName} at ${resource.constructPath}`,
        ),
      ),
  );
}

/**
 * Synthesizes `app` with both packs registered as the app does; a finding nobody acknowledged fails the synth (the
 * packs report on the console, silenced here). Returns the assembly, or the error.
 */
export function synthesizeWithNag(app: App): { readonly synthesized: unknown; readonly error: unknown } {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    return { synthesized: app.synth(), error: undefined };
  } catch (error) {
    return { synthesized: undefined, error };
  } finally {
    consoleError.mockRestore();
  }
}
