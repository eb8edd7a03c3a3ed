/**
 * Reading the lab's `doc` columns. Shared by the ports and the responder so both parse every stored
 * document with its zod schema and fail the same typed way on a damaged row.
 */
import { z } from "zod";
import { ToolError } from "../../core/errors.ts";

export const LAB_VENDOR = "lab";

const docColumn = z.object({ doc: z.string() });

export function badLabData(what: string, reason: string): ToolError {
  return new ToolError("BAD_RESPONSE", `lab ${what} is malformed: ${reason}`, { vendor: LAB_VENDOR });
}

/** A stored JSON document, parsed with `schema`; a row that is not one is BAD_RESPONSE, never a cast. */
export function parseJsonDoc<S extends z.ZodType>(schema: S, doc: string, what: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(doc);
  } catch {
    throw badLabData(what, "doc is not JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badLabData(what, issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid");
  }
  return parsed.data;
}

/** One row's `doc` column (the row as better-sqlite3 returns it), parsed with `schema`. */
export function parseDoc<S extends z.ZodType>(schema: S, row: unknown, what: string): z.output<S> {
  const column = docColumn.safeParse(row);
  if (!column.success) throw badLabData(what, "row has no doc column");
  return parseJsonDoc(schema, column.data.doc, what);
}

export function parseDocs<S extends z.ZodType>(schema: S, rows: unknown[], what: string): Array<z.output<S>> {
  return rows.map((row) => parseDoc(schema, row, what));
}

/** The lab answers synchronously, so honouring a signal means refusing to start once it has fired. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ToolError("TIMEOUT", "lab call aborted", { vendor: LAB_VENDOR });
}
