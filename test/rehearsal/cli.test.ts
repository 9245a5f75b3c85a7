import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { wantsColour } from '../../rehearsal/cli-env';

/**
 * `npm run rehearse` as a user runs it: the CLI in a child process, its stdout, stderr and exit code. Each run is a
 * whole rehearsal (about 3 s), so the runs go concurrently.
 */

const ROOT = join(import.meta.dirname, '..', '..');
/** Every ANSI escape sequence starts with ESC. */
const ESC = String.fromCharCode(27);
const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_SESSION_TOKEN: 'token',
  AWS_PROFILE: 'production',
  AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/deployer',
  AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/token',
  AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
};
const scratch = mkdtempSync(join(tmpdir(), 'rehearse-cli-'));

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `npm run rehearse` as it runs (rehearsal/launch.mjs: cli.ts bundled, then run). The child gets none of vitest's
 * settings that the CLI must make itself, unless the test passes them.
 */
function rehearse(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const base = { ...process.env };
  for (const name of ['POWERTOOLS_LOG_LEVEL', 'NO_COLOR', 'FORCE_COLOR', ...Object.keys(CREDENTIALS)]) {
    delete base[name];
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['rehearsal/launch.mjs', ...args], {
      cwd: ROOT,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.concurrent('npm run rehearse', { timeout: 60_000 }, () => {
  it('runs the happy path with no argument, live timeline then summary, plain under NO_COLOR, and exits 0', async () => {
    // Act
    const run = await rehearse([], { NO_COLOR: '1' });

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('Rehearsal: happy-path');
    expect(run.stdout).toMatch(/^ +07:00 cutover +BlueGreenOrchestrator +shiftTraffic +10 %$/m);
    expect(run.stdout).toMatch(/^ +\d\d:\d\d cutover .* evaluateStep .*err 0\.\d\d % {2}p95 \d+ ms.*promote$/m);
    expect(run.stdout).toMatch(/^1:\d\d:\d\d end +Step Functions .*SUCCEEDED$/m);
    expect(run.stdout).toContain('  Outcome         SUCCEEDED\n');
    expect(run.stdout).toContain('  Green weights   10 → 50 → 100 → 100\n');
    expect(run.stdout).toMatch(/ {2}Transitions {5}\d+ \(Step Functions Standard: \$0\.\d{4}\)/);
    expect(run.stdout).toMatch(
      / {2}Report {10}in the simulated S3 bucket: report\.json, report\.html, report\.md under reports\/\S+\//,
    );
    expect(run.stdout).toContain('  Chart           .rehearsal/happy-path.html\n');
    expect(run.stdout).toContain('  Expectation     met\n');
    // The agents' JSON logs stay out of the timeline without the caller silencing them.
    expect(run.stdout).not.toMatch(/^\{/m);
    expect(run.stdout).not.toContain(ESC);
  });

  it('prints exactly one JSON document with --json', async () => {
    // Act
    const run = await rehearse(['--json']);

    // Assess
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(document)).toEqual(
      expect.arrayContaining([
        'scenario',
        'status',
        'error',
        'greenWeights',
        'rollback',
        'transitions',
        'costUsd',
        'simulatedSeconds',
        'report',
        'expectation',
        'timeline',
      ]),
    );
    expect(document).toMatchObject({
      scenario: { name: 'happy-path' },
      status: 'SUCCEEDED',
      error: null,
      greenWeights: [10, 50, 100, 100],
      rollback: null,
      expectation: { met: true, mismatches: [] },
      chart: '.rehearsal/happy-path.html',
    });
    expect(document.report).toMatchObject({ outcome: { status: 'PROMOTED' } });
    expect((document.timeline as unknown[]).length).toBeGreaterThan(10);
  });

  it('lists the scenarios one line each with --list', async () => {
    // Act
    const run = await rehearse(['--list']);

    // Assess
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line).toMatch(/^[a-z0-9-]+ +— \S/);
    expect(lines).toContainEqual(expect.stringMatching(/^happy-path +— /));
  });

  it('exits 1 and lists the mismatches when the outcome is not what the scenario expects', async () => {
    // Prepare
    const file = join(scratch, 'expects-a-rollback.json');
    const expectation = { status: 'FAILED', error: 'DeploymentRolledBack', rollback: { trigger: 'ERROR_RATE' } };
    writeFileSync(file, JSON.stringify({ description: 'healthy, yet expects a rollback', expect: expectation }));

    // Act
    const run = await rehearse(['--scenario', file]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')[0]).toBe('Rehearsal: expects-a-rollback');
    expect(run.stdout).toContain('  Outcome         SUCCEEDED\n');
    expect(run.stdout).toContain('  Expectation     NOT met\n');
    expect(run.stdout).toContain('    - status: expected FAILED, got SUCCEEDED\n');
    // Piped, so plain.
    expect(run.stdout).not.toContain(ESC);
    expect(run.stdout).toContain('    - error: expected "DeploymentRolledBack", got null\n');
    expect(run.stdout).toMatch(/ {4}- rollback: expected .*ERROR_RATE.*, got none\n/);
  });

  it('replays an export over the happy path without judging it by the happy path', async () => {
    // Act
    const run = await rehearse(['--replay', 'scenarios/replays/2026-11-17-checkout-5xx.json', '--json']);

    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      scenario: { name: 'happy-path', replay: 'scenarios/replays/2026-11-17-checkout-5xx.json' },
      status: 'FAILED',
      rollback: { trigger: expect.any(String) },
      expectation: null,
      chart: '.rehearsal/replay-2026-11-17-checkout-5xx.html',
    });
  });

  it('exits 2 on a bad scenario file, naming the field', async () => {
    // Prepare
    const file = join(scratch, 'bad-status.json');
    writeFileSync(file, JSON.stringify({ description: 'a typo', expect: { status: 'PROMOTED', error: null } }));

    // Act
    const run = await rehearse(['--scenario', file]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('expect.status');
  });

  it('exits 2 on a fault on an operation the simulation does not model, naming it and the modelled ones', async () => {
    // Prepare
    const file = join(scratch, 'misspelt-fault.json');
    const fault = { operation: 'ELB:ModifyListner', kind: 'failFrom', fromCall: 1 };
    writeFileSync(
      file,
      JSON.stringify({
        description: 'a typo',
        faults: { operations: [fault] },
        expect: { status: 'SUCCEEDED', error: null },
      }),
    );

    // Act
    const run = await rehearse(['--scenario', file]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('faults.operations[0].operation: "ELB:ModifyListner" is not an operation');
    expect(run.stderr).toContain('ELB:ModifyListener');
  });

  it("replays an export with a scenario's world, without judging it by that scenario's expectation", async () => {
    // Act
    const run = await rehearse([
      '--scenario',
      'manual-override',
      '--replay',
      'scenarios/replays/2026-11-17-checkout-5xx.json',
    ]);

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe('Rehearsal: manual-override-replay-2026-11-17-checkout-5xx');
    expect(run.stdout).toContain(
      '  Expectation     not checked: the traffic came from scenarios/replays/2026-11-17-checkout-5xx.json, ' +
        "manual-override's expectation is for its own\n",
    );
  });

  it('exits 2 with the usage on an unknown option', async () => {
    // Act
    const run = await rehearse(['--scenari', 'happy-path']);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain("Unknown option '--scenari'");
    expect(run.stderr).toContain('Usage: npm run rehearse');
  });

  it('colours when asked (FORCE_COLOR)', async () => {
    // Act
    const run = await rehearse(['--scenario', 'approval-rejected'], { FORCE_COLOR: '1' });

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${ESC}[1mRehearsal: approval-rejected${ESC}[22m`);
    expect(run.stdout).toContain(`${ESC}[1m${ESC}[31mFAILED (ApprovalRejected)`);
  });

  it('ignores AWS credentials in the environment and says so on one stderr line', async () => {
    // Act
    const run = await rehearse(['--json'], CREDENTIALS);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(
      'rehearse: ignoring AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE, ' +
        'AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_CONTAINER_CREDENTIALS_FULL_URI from the ' +
        'environment: the rehearsal never talks to AWS.\n',
    );
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'SUCCEEDED', expectation: { met: true } });
  });
});

describe('wantsColour', () => {
  it.each([
    { isTTY: true, env: {}, colour: true },
    { isTTY: false, env: {}, colour: false },
    { isTTY: true, env: { NO_COLOR: '1' }, colour: false },
    { isTTY: true, env: { NO_COLOR: '' }, colour: true },
    { isTTY: false, env: { FORCE_COLOR: '1' }, colour: true },
    { isTTY: true, env: { FORCE_COLOR: '0' }, colour: false },
    { isTTY: false, env: { FORCE_COLOR: '1', NO_COLOR: '1' }, colour: false },
  ])('is $colour for a TTY $isTTY with $env', ({ isTTY, env, colour }) => {
    // Act
    const result = wantsColour({ isTTY }, env);

    // Assess
    expect(result).toBe(colour);
  });
});
