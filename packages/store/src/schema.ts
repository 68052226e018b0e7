import { sql, type Kysely } from "kysely";
import { createTableStatements, type StoreKind } from "./ddl.js";
import { StoreSchemaError } from "./errors.js";
import { REQUIRED_COLUMNS, type LarsDatabase } from "./tables.js";

/** What `openStore` did to the schema: the tables it created and the ones it found. */
export interface SchemaReport {
  /** Tables that were absent and have been created. */
  readonly created: readonly string[];
  /** Tables that were present and verified. */
  readonly verified: readonly string[];
}

/**
 * Creates the tables that are absent and verifies the ones present: each
 * must have the columns the store uses. A present table is never altered; a
 * missing column is a {@link StoreSchemaError}. Extra columns and tables (the
 * C++ schema's ModIDConfig, CmdIDConfig) are left alone. Ensures the single
 * `RouteVersion` row (id 1) exists. Safe to run from several processes at
 * once on one empty database (`CREATE TABLE IF NOT EXISTS`, `INSERT IGNORE`).
 */
export async function ensureSchema(db: Kysely<LarsDatabase>, kind: StoreKind): Promise<SchemaReport> {
  const tables = await db.introspection.getTables();
  const present = new Map(tables.map((t) => [t.name, new Set(t.columns.map((c) => c.name))]));
  const created: string[] = [];
  const verified: string[] = [];
  for (const [table, columns] of Object.entries(REQUIRED_COLUMNS) as [keyof LarsDatabase, readonly string[]][]) {
    const have = present.get(table);
    if (have === undefined) {
      for (const statement of createTableStatements(kind, table)) await sql.raw(statement).execute(db);
      created.push(table);
      continue;
    }
    const missing = columns.filter((c) => !have.has(c));
    if (missing.length > 0) {
      throw new StoreSchemaError(
        `table ${table} lacks column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}; the store never alters an existing table: ` +
          "fix the table by hand or point the store at another database",
      );
    }
    verified.push(table);
  }
  // IF NOT EXISTS and INSERT IGNORE: several services opening one empty database at once (lars up, a DNS
  // and a reporter started together, test files in parallel) all succeed, and there is one RouteVersion row.
  const row = await db.selectFrom("RouteVersion").select("id").where("id", "=", 1).executeTakeFirst();
  if (row === undefined) await db.insertInto("RouteVersion").values({ id: 1, version: 0 }).orIgnore().execute();
  return { created, verified };
}
