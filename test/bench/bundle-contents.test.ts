import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { contentsOf, packageOf, sentOperations } from '../../bench/bundle-contents';
import { resolveValue } from '../../bench/bundle-env';

/**
 * What a Lambda bundle carries, read from esbuild's metafile: bytes per package, the SDK clients with the commands
 * bundled and the ones our code sends (a client none of whose commands we send is carried for nothing), and the
 * libraries our code reaches without going through the SDK.
 */

const SFN = 'node_modules/@aws-sdk/client-sfn/dist-es';
const DDB = 'node_modules/@aws-sdk/client-dynamodb/dist-es';

/** A metafile of one output: inputs with their bytes in it and their imports. */
function metafile(inputs: Record<string, { bytes: number; imports?: string[] }>): Metafile {
  return {
    inputs: Object.fromEntries(
      Object.entries(inputs).map(([path, input]) => [
        path,
        {
          bytes: input.bytes,
          imports: (input.imports ?? []).map((target) => ({
            path: target,
            kind: 'import-statement',
            original: target,
          })),
        },
      ]),
    ),
    outputs: {
      'out/index.mjs': {
        bytes: Object.values(inputs).reduce((total, input) => total + input.bytes, 0),
        entryPoint: 'lambdas/agent/index.ts',
        inputs: Object.fromEntries(
          Object.entries(inputs).map(([path, input]) => [path, { bytesInOutput: input.bytes }]),
        ),
        imports: [],
        exports: [],
      },
    },
  } as Metafile;
}

const SOURCES: Record<string, string> = {
  'lambdas/agent/index.ts': "import * as v from 'valibot';\nawait sfn.send(new SendTaskFailureCommand({ taskToken }));",
  'lambdas/agent/lock.ts': 'await ddb.send(new GetCommand({ TableName, Key }));',
};

describe('bundle contents', () => {
  const meta = metafile({
    'lambdas/agent/index.ts': {
      bytes: 300,
      imports: ['node_modules/valibot/dist/index.js', `${SFN}/commands/SendTaskFailureCommand.js`],
    },
    'lambdas/agent/lock.ts': { bytes: 200, imports: [`${DDB}/commands/GetItemCommand.js`] },
    'node_modules/valibot/dist/index.js': { bytes: 5_000, imports: ['node_modules/valibot/dist/core.js'] },
    'node_modules/valibot/dist/core.js': { bytes: 1_000 },
    [`${SFN}/SFNClient.js`]: { bytes: 700 },
    [`${SFN}/commands/SendTaskFailureCommand.js`]: { bytes: 100 },
    [`${SFN}/commands/SendTaskSuccessCommand.js`]: { bytes: 90 },
    [`${DDB}/commands/GetItemCommand.js`]: { bytes: 80, imports: ['node_modules/mnemonist/lru.js'] },
    [`${DDB}/commands/ScanCommand.js`]: { bytes: 0 },
    'node_modules/mnemonist/lru.js': { bytes: 400 },
    'node_modules/@aws-sdk/client-ec2/dist-es/EC2Client.js': { bytes: 9_000 },
  });

  it('counts the bytes in the output per package, heaviest first, and our own code apart', () => {
    // Act
    const contents = contentsOf(meta, (path) => SOURCES[path] ?? '');

    // Assess
    expect(contents.outputBytes).toBe(16_870);
    expect(contents.ownBytes).toBe(500);
    expect(contents.packages.slice(0, 3)).toEqual([
      { name: '@aws-sdk/client-ec2', bytes: 9_000 },
      { name: 'valibot', bytes: 6_000 },
      { name: '@aws-sdk/client-sfn', bytes: 890 },
    ]);
    expect(contents.heaviestOwnInputs[0]).toEqual({ path: 'lambdas/agent/index.ts', bytes: 300 });
  });

  it('tells the commands our code sends from the ones merely bundled, and a client sent nothing', () => {
    // Act
    const { clients } = contentsOf(meta, (path) => SOURCES[path] ?? '');

    // Assess
    expect(clients).toEqual([
      {
        packageName: '@aws-sdk/client-dynamodb',
        packageDir: 'node_modules/@aws-sdk/client-dynamodb',
        bundledCommands: ['GetItem'],
        sentCommands: ['GetItem'],
      },
      {
        packageName: '@aws-sdk/client-ec2',
        packageDir: 'node_modules/@aws-sdk/client-ec2',
        bundledCommands: [],
        sentCommands: [],
      },
      {
        packageName: '@aws-sdk/client-sfn',
        packageDir: 'node_modules/@aws-sdk/client-sfn',
        bundledCommands: ['SendTaskFailure', 'SendTaskSuccess'],
        sentCommands: ['SendTaskFailure'],
      },
    ]);
  });

  it("lists the libraries our code reaches, not the SDK's own dependencies", () => {
    // Act
    const { libraries } = contentsOf(meta, (path) => SOURCES[path] ?? '');

    // Assess
    expect(libraries).toEqual([{ name: 'valibot', bytes: 6_000 }]);
  });

  it('reads the operations a source sends, lib-dynamodb commands and paginators included', () => {
    // Act
    const sent = sentOperations(
      'new UpdateCommand({}); new ModifyListenerCommand ({}); for await (const page of paginateGetExecutionHistory(c, {}))',
    );

    // Assess
    expect([...sent].sort()).toEqual(['GetExecutionHistory', 'ModifyListener', 'Update', 'UpdateItem']);
  });

  it('names the package of a nested copy by its innermost node_modules', () => {
    expect(packageOf('node_modules/@aws-sdk/core/node_modules/@smithy/core/dist-es/a.js')).toEqual({
      name: '@smithy/core',
      dir: 'node_modules/@aws-sdk/core/node_modules/@smithy/core',
    });
    expect(packageOf('node_modules/valibot/dist/index.mjs')?.name).toBe('valibot');
    expect(packageOf('lambdas/shared/logger.ts')).toBeNull();
  });
});

describe("a function's environment from the template", () => {
  const resources = {
    Table: { Type: 'AWS::DynamoDB::GlobalTable' },
    Topic: { Type: 'AWS::SNS::Topic' },
    Role: { Type: 'AWS::IAM::Role' },
    Url: { Type: 'AWS::Lambda::Url' },
  };
  const where = { account: '123456789012', region: 'eu-west-1' };

  it('resolves references, attributes and joins to strings shaped as AWS gives them', () => {
    // Act
    const joined = resolveValue({ 'Fn::Join': ['', ['{"table":"', { Ref: 'Table' }, '"}']] }, resources, where);

    // Assess
    expect(joined).toBe('{"table":"Table"}');
    expect(resolveValue({ Ref: 'Topic' }, resources, where)).toBe('arn:aws:sns:eu-west-1:123456789012:Topic');
    expect(resolveValue({ 'Fn::GetAtt': ['Role', 'Arn'] }, resources, where)).toBe(
      'arn:aws:iam::123456789012:role/Role',
    );
    expect(resolveValue({ 'Fn::GetAtt': ['Url', 'FunctionUrl'] }, resources, where)).toBe(
      'https://url.lambda-url.eu-west-1.on.aws/',
    );
    expect(resolveValue({ Ref: 'AWS::Region' }, resources, where)).toBe('eu-west-1');
  });

  it('refuses an intrinsic it cannot resolve, rather than loading a bundle with a wrong value', () => {
    expect(() => resolveValue({ 'Fn::ImportValue': 'Shared' }, resources, where)).toThrow('cannot resolve');
  });
});
