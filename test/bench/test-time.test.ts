import { describe, expect, it } from 'vitest';
import { slowestTestFiles } from '../../bench/test-time';

/** What costs `npm test`: vitest's per-file lines read back from its output, slowest first. */

describe('slowest test files', () => {
  it('reads the per-file lines in ms or s, coloured or not, slowest first, and nothing else', () => {
    // Prepare: vitest's output as a pipe gets it, one line coloured as a terminal would show it.
    const output = [
      ' ✓ test/infra/cdk-nag.test.ts (12 tests) 23456ms',
      ' \u001b[32m✓\u001b[39m test/bench/stats.test.ts \u001b[2m(\u001b[22m\u001b[2m8 tests\u001b[22m\u001b[2m)\u001b[22m\u001b[32m 10\u001b[2mms\u001b[22m\u001b[39m',
      ' ❯ test/rehearsal/scenarios.test.ts (60 tests | 1 failed) 41.2s',
      '      ✓ runs every scenario 40000ms',
      ' Duration  171.91s (tests 57%, import 42%)',
    ].join('\n');

    // Act
    const slowest = slowestTestFiles(output);

    // Assess
    expect(slowest).toEqual([
      { file: 'test/rehearsal/scenarios.test.ts', seconds: 41.2 },
      { file: 'test/infra/cdk-nag.test.ts', seconds: 23.456 },
      { file: 'test/bench/stats.test.ts', seconds: 0.01 },
    ]);
  });
});
