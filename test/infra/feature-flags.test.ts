import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { featureFlags } from '../support/sample-stack';

describe('cdk.json feature flags', () => {
  it('sets every feature flag the installed aws-cdk-lib recommends, at its recommended value (a quiet `cdk synth`)', () => {
    // Prepare
    const require = createRequire(import.meta.url);
    const recommended = JSON.parse(
      readFileSync(require.resolve('aws-cdk-lib/recommended-feature-flags.json'), 'utf8'),
    ) as Record<string, unknown>;

    // Act
    const flags = featureFlags();

    // Assess
    expect(Object.keys(recommended).length).toBeGreaterThan(50);
    expect(Object.fromEntries(Object.keys(recommended).map((flag) => [flag, flags[flag]]))).toEqual(recommended);
  });
});
