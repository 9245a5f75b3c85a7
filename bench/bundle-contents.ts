import type { Metafile } from 'esbuild';

/**
 * What one bundle carries, from esbuild's metafile: bytes of the output per package and for our own code, the AWS
 * SDK clients with the commands of theirs that made it in and the ones our code sends, and the libraries our code
 * reaches (told from the SDK's own dependencies by the import graph). Pure: our sources come in as text.
 */

export interface ClientUse {
  /** `@aws-sdk/client-sfn` */
  readonly packageName: string;
  /** The client's folder relative to the project, for the SDK-only bundle. */
  readonly packageDir: string;
  /** Commands of the client present in the bundle (`SendTaskFailure`, …). */
  readonly bundledCommands: readonly string[];
  /** Commands of the client our code constructs (`new XCommand(`, `paginateX(`, lib-dynamodb's included). */
  readonly sentCommands: readonly string[];
}

export interface PackageBytes {
  readonly name: string;
  readonly bytes: number;
}

export interface BundleContents {
  readonly outputBytes: number;
  /** Our own code (inputs outside node_modules). */
  readonly ownBytes: number;
  /** Every package with the bytes it puts in the output, heaviest first (nested copies counted together). */
  readonly packages: readonly PackageBytes[];
  readonly clients: readonly ClientUse[];
  /** Packages outside the SDK that our code reaches without going through the SDK, heaviest first. */
  readonly libraries: readonly PackageBytes[];
  /** Our heaviest source files, with their bytes in the output. */
  readonly heaviestOwnInputs: readonly { readonly path: string; readonly bytes: number }[];
}

const NODE_MODULES = 'node_modules/';

/** `node_modules/a/node_modules/@s/b/dist/x.js` → { name: '@s/b', dir: 'node_modules/a/node_modules/@s/b' }. */
export function packageOf(path: string): { readonly name: string; readonly dir: string } | null {
  const at = path.lastIndexOf(NODE_MODULES);
  if (at === -1) return null;
  const rest = path.slice(at + NODE_MODULES.length).split('/');
  const size = rest[0]?.startsWith('@') ? 2 : 1;
  if (rest.length <= size) return null;
  const name = rest.slice(0, size).join('/');
  return { name, dir: path.slice(0, at + NODE_MODULES.length) + name };
}

/** The SDK's own packages (clients, their core, the Smithy runtime, lib-dynamodb). */
export function isSdkPackage(name: string): boolean {
  return name.startsWith('@aws-sdk/') || name.startsWith('@smithy/') || name.startsWith('@aws-crypto/');
}

/** lib-dynamodb's document commands and the DynamoDB operation each sends. */
const DOCUMENT_COMMANDS: Readonly<Record<string, string>> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
  BatchExecuteStatement: 'BatchExecuteStatement',
  ExecuteStatement: 'ExecuteStatement',
  ExecuteTransaction: 'ExecuteTransaction',
  Query: 'Query',
  Scan: 'Scan',
};

/** The operations a source file sends: `new XCommand(` and `paginateX(`, lib-dynamodb's mapped to DynamoDB's. */
export function sentOperations(source: string): Set<string> {
  const sent = new Set<string>();
  for (const match of source.matchAll(/new\s+([A-Z][A-Za-z0-9]*)Command\s*\(|paginate([A-Z][A-Za-z0-9]*)\s*\(/g)) {
    const name = match[1] ?? match[2] ?? '';
    sent.add(name);
    const document = DOCUMENT_COMMANDS[name];
    if (document !== undefined) sent.add(document);
  }
  return sent;
}

const COMMAND_FILE = /\/commands\/([A-Za-z0-9]+)Command\.js$/;

export function contentsOf(metafile: Metafile, sourceOf: (path: string) => string): BundleContents {
  const outputs = Object.values(metafile.outputs);
  const output = outputs.find((candidate) => candidate.entryPoint !== undefined) ?? outputs[0];
  if (output === undefined) throw new Error('the metafile lists no output');
  const inputs = Object.entries(output.inputs).map(([path, { bytesInOutput }]) => ({ path, bytes: bytesInOutput }));
  const ownInputs = inputs.filter((input) => packageOf(input.path) === null);
  const sent = new Set<string>();
  for (const input of ownInputs) for (const operation of sentOperations(sourceOf(input.path))) sent.add(operation);

  const packageBytes = new Map<string, number>();
  const clients = new Map<string, { dir: string; commands: Set<string> }>();
  for (const { path, bytes } of inputs) {
    const owner = packageOf(path);
    if (owner === null) continue;
    packageBytes.set(owner.name, (packageBytes.get(owner.name) ?? 0) + bytes);
    if (!owner.name.startsWith('@aws-sdk/client-')) continue;
    const client = clients.get(owner.name) ?? { dir: owner.dir, commands: new Set<string>() };
    const command = COMMAND_FILE.exec(path)?.[1];
    if (command !== undefined && bytes > 0) client.commands.add(command);
    clients.set(owner.name, client);
  }

  // The libraries our code reaches without going through the SDK (what the SDK imports is the SDK's business).
  const reached = new Set<string>(ownInputs.map((input) => input.path));
  const queue = [...reached];
  for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
    for (const imported of metafile.inputs[path]?.imports ?? []) {
      const target = packageOf(imported.path);
      if ((target !== null && isSdkPackage(target.name)) || reached.has(imported.path)) continue;
      reached.add(imported.path);
      queue.push(imported.path);
    }
  }
  const libraryNames = new Set([...reached].flatMap((path) => packageOf(path)?.name ?? []));
  const packages = [...packageBytes.entries()]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes);
  return {
    outputBytes: output.bytes,
    ownBytes: ownInputs.reduce((total, input) => total + input.bytes, 0),
    packages,
    clients: [...clients.entries()]
      .map(([packageName, client]) => ({
        packageName,
        packageDir: client.dir,
        bundledCommands: [...client.commands].sort(),
        sentCommands: [...client.commands].filter((command) => sent.has(command)).sort(),
      }))
      .sort((a, b) => a.packageName.localeCompare(b.packageName)),
    libraries: packages.filter((pkg) => libraryNames.has(pkg.name)),
    heaviestOwnInputs: [...ownInputs].sort((a, b) => b.bytes - a.bytes).slice(0, 3),
  };
}
