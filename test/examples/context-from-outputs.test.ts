import { describe, expect, it } from 'vitest';
import { main, PLACEHOLDER, type ScriptIo, stackOutputsOf } from '../../examples/prerequisites/context-from-outputs';
import { ACCOUNT, DEPLOYED_VALUES, outputsFile } from './deployed-outputs';

/** The script's command line over an in-memory outputs file: what it printed, what it said, its exit code. */
function run(argv: string[], files: Record<string, unknown> = { 'outputs.json': outputsFile() }) {
  let stdout = '';
  let stderr = '';
  const io: ScriptIo = {
    readFile: (path) => {
      if (!(path in files)) throw new Error(`ENOENT: no such file '${path}'`);
      return JSON.stringify(files[path]);
    },
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  };
  const code = main(argv, io);
  return { code, stdout, stderr };
}

const FILLED = ['--chairman-email', 'chairman@example.com', '--approver', `arn:aws:iam::${ACCOUNT}:role/Chairman`];

describe('context-from-outputs: the command line', () => {
  it('prints a complete context and nothing on stderr when e-mail and approver are given', () => {
    // Act
    const { code, stdout, stderr } = run(['outputs.json', ...FILLED]);

    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const context = JSON.parse(stdout) as { listenerArn: string; chairmanEmails: string[]; approvers: string[] };
    expect(context.listenerArn).toBe(DEPLOYED_VALUES.listenerArn);
    expect(context.chairmanEmails).toEqual(['chairman@example.com']);
    expect(context.approvers).toEqual([`arn:aws:iam::${ACCOUNT}:role/Chairman`]);
  });

  it('prints one line by default (the CDK CLI keeps only the first line of a -c value), indented with --pretty', () => {
    // Act
    const compact = run(['outputs.json', ...FILLED]);
    const pretty = run(['outputs.json', '--pretty', ...FILLED]);

    // Assess
    expect(compact.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(pretty.stdout.split('\n').length).toBeGreaterThan(10);
    expect(JSON.parse(pretty.stdout)).toEqual(JSON.parse(compact.stdout));
  });

  it('prints the context with placeholders and names them on stderr when e-mail and approver are missing', () => {
    // Act
    const { code, stdout, stderr } = run(['outputs.json']);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain(PLACEHOLDER);
    expect(stderr).toMatch(/fill in chairmanEmails\[0\], approvers\[0\]/);
  });

  it('refuses an approver of another account before printing anything', () => {
    // Act
    const { code, stdout, stderr } = run([
      'outputs.json',
      '--chairman-email',
      'chairman@example.com',
      '--approver',
      'arn:aws:iam::999999999999:role/Chairman',
    ]);

    // Assess
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/--approver: not an IAM role or user ARN of account 123456789012/);
  });

  it('exits 1 without printing when the filled-in context fails the main app parser', () => {
    // Act
    const { code, stdout, stderr } = run(['outputs.json', '--chairman-email', 'not-an-address', ...FILLED.slice(2)]);

    // Assess
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/chairmanEmails/);
  });

  it('exits 2 naming the file when it cannot be read, and on a missing file argument', () => {
    // Act
    const missingFile = run(['nowhere.json', ...FILLED]);
    const noArgument = run(FILLED);

    // Assess
    expect(missingFile.code).toBe(2);
    expect(missingFile.stderr).toMatch(/^nowhere\.json: ENOENT/);
    expect(noArgument.code).toBe(2);
    expect(noArgument.stderr).toMatch(/name exactly one outputs file\nusage:/);
  });
});

describe('context-from-outputs: choosing the stack in the outputs file', () => {
  it('takes the only stack, whatever its name', () => {
    // Act
    const outputs = stackOutputsOf(outputsFile('MyTrial'));

    // Assess
    expect(outputs.ListenerArn).toBe(DEPLOYED_VALUES.listenerArn);
  });

  it('takes the default stack name among several, and the one named with --stack', () => {
    // Prepare
    const file = { ...outputsFile(), Other: { ListenerArn: 'other' } };

    // Act / Assess
    expect(stackOutputsOf(file).ListenerArn).toBe(DEPLOYED_VALUES.listenerArn);
    expect(stackOutputsOf(file, 'Other').ListenerArn).toBe('other');
  });

  it('refuses a stack that is not in the file, listing the ones that are', () => {
    // Act / Assess
    expect(() => stackOutputsOf({ A: {}, B: {} })).toThrow(/it has: A, B\); name it with --stack/);
    expect(() => stackOutputsOf([])).toThrow(/not a JSON object of stacks/);
  });
});
