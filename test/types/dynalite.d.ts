declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    path?: string;
    ssl?: boolean;
  }

  /** An in-process DynamoDB emulator: an HTTP server to `listen()` on. */
  export default function dynalite(options?: DynaliteOptions): Server;
}
