/**
 * Types for dynalite 4, which ships none: only the factory and the options the local DynamoDB uses
 * (see node_modules/dynalite/index.js for the rest).
 */
declare module "dynalite" {
  import type { Server } from "node:http";

  /** Options of the dynalite factory. */
  interface DynaliteOptions {
    /**
     * The LevelDB folder.
     * @default - in memory
     */
    readonly path?: string;
    /**
     * How long a new table stays CREATING.
     * @default 500
     */
    readonly createTableMs?: number;
    /**
     * How long a deleted table stays DELETING.
     * @default 500
     */
    readonly deleteTableMs?: number;
    /**
     * How long an updated table stays UPDATING.
     * @default 500
     */
    readonly updateTableMs?: number;
  }

  /** Creates a DynamoDB-compatible HTTP server (not listening yet); closing it closes its store. */
  export default function dynalite(options?: DynaliteOptions): Server;
}
