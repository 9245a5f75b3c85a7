import { describe, expect, it } from 'vitest';
import { modeOf, parseBenchArgs } from '../../bench/options';

/** `npm run bench -- [--only <figure,…>] [--quick] [--out <dir>]`. */

describe('bench arguments', () => {
  it('measures every figure, fully, into the repository by default', () => {
    // Act
    const options = parseBenchArgs([]);

    // Assess
    expect(options).toEqual({ only: [1, 2, 3, 4, 5, 6, 7, 8], quick: false, out: null });
    expect(modeOf(options)).toBe('full');
  });

  it('takes --only as figure numbers (in figure order), --quick and --out, with = or a separate value', () => {
    // Act
    const options = parseBenchArgs(['--only=6, 1', '--quick', '--out', '/tmp/bench']);

    // Assess
    expect(options).toEqual({ only: [1, 6], quick: true, out: '/tmp/bench' });
    expect(modeOf(options)).toBe('--quick (fewer runs; synth, npm test and the scenario suite skipped) --only 1,6');
  });

  it.each([
    [['--only', '9'], '--only takes figure numbers 1-8'],
    [['--only', 'reaction'], '--only takes figure numbers 1-8'],
    [['--only'], '--only needs a value'],
    [['--out='], '--out needs a value'],
    [['--fast'], 'unknown argument "--fast"'],
    [['--quick=yes'], 'unknown argument "--quick=yes"'],
  ])('refuses %j, saying why and how to call it', (args, message) => {
    // Act
    const parse = () => parseBenchArgs(args);

    // Assess
    expect(parse).toThrow(message);
    expect(parse).toThrow('usage: npm run bench --');
  });
});
