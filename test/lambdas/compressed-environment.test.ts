import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { compressedJsonEnvironmentVariable } from '../../lambdas/shared/config/environment';

const schema = v.strictObject({ table: v.string(), suite: v.array(v.string()), role: v.string() });
const CONFIG = compressedJsonEnvironmentVariable('SAMPLE_CONFIG', schema);
/** How CDK prints an unresolved token at synth. */
const token = (id: number) => ['$', `{Token[TOKEN.${id}]}`].join('');

describe('compressed JSON environment variable', () => {
  it('compresses the value, moves each unresolved token to a variable of its own, and reads it back', () => {
    // Prepare: what the stack hands over at synth, tokens unresolved.
    const value = {
      table: token(12),
      suite: Array(50).fill('/api/products'),
      role: 'arn:aws:iam::1:role/x',
    };

    // Act
    const environment = CONFIG.environment(value);
    const read = CONFIG.read({ ...environment, SAMPLE_CONFIG_T0: 'crew-state-table' });

    // Assess
    expect(Object.keys(environment)).toEqual(['SAMPLE_CONFIG', 'SAMPLE_CONFIG_T0']);
    expect(environment.SAMPLE_CONFIG_T0).toBe(token(12));
    expect(environment.SAMPLE_CONFIG?.length).toBeLessThan(JSON.stringify(value).length / 3);
    expect(read).toEqual({ ...value, table: 'crew-state-table' });
    // The same value gives the same template.
    expect(CONFIG.environment(value)).toEqual(environment);
  });

  it('says which variable is missing, and refuses a value that is not its own encoding', () => {
    // Prepare
    const environment = CONFIG.environment({ table: token(1), suite: [], role: 'r' });

    // Act
    const missingToken = () => CONFIG.read({ SAMPLE_CONFIG: environment.SAMPLE_CONFIG });
    const plainJson = () => CONFIG.read({ SAMPLE_CONFIG: '{"table":"t"}' });

    // Assess
    expect(missingToken).toThrow('environment variable SAMPLE_CONFIG_T0 (part of SAMPLE_CONFIG) is not set');
    expect(plainJson).toThrow(/SAMPLE_CONFIG is not gzip\+base64 JSON/);
  });
});
