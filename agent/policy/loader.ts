/**
 * Reads a policy file (YAML, or JSON which is YAML too) and validates it. Every error is one line naming
 * the file, the line, the field and what is wrong, so a broken policy is fixed in one look.
 */
import { existsSync, readFileSync } from "node:fs";
import { LineCounter, parseDocument, isMap, isNode, isScalar, isSeq } from "yaml";
import { TriageError } from "../../tools/errors.ts";
import { policySchema, type Policy } from "./schema.ts";

function pathText(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (text, key) =>
      typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key),
    "",
  );
}

/** The line of the deepest node on `path` that exists in the document. */
function lineOf(root: unknown, path: ReadonlyArray<PropertyKey>, counter: LineCounter): number {
  let node: unknown = root;
  let line = 1;
  const lineAt = (n: unknown) => (isNode(n) && n.range ? counter.linePos(n.range[0]).line : line);
  line = lineAt(node);
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (!pair) break;
      line = lineAt(pair.key);
      node = pair.value;
      if (isNode(node)) line = lineAt(node);
    } else if (isSeq(node) && typeof key === "number") {
      const item: unknown = node.items[key];
      if (!isNode(item)) break;
      node = item;
      line = lineAt(item);
    } else break;
  }
  return line;
}

export function parsePolicy(text: string, source: string): Policy {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = counter.linePos(syntax.pos[0]).line;
    throw new TriageError(
      "BAD_POLICY",
      `${source}:${line}: ${syntax.message.split("\n")[0] ?? "syntax error"}`,
    );
  }
  const parsed = policySchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path ?? [];
    const line = lineOf(doc.contents, path, counter);
    throw new TriageError(
      "BAD_POLICY",
      `${source}:${line}: ${pathText(path) || "policy"}: ${issue?.message ?? "invalid"}`,
    );
  }
  return parsed.data;
}

export function loadPolicy(path: string): Policy {
  if (!existsSync(path)) throw new TriageError("BAD_POLICY", `policy file ${path} not found`);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new TriageError(
      "BAD_POLICY",
      `cannot read policy file ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return parsePolicy(text, path);
}
