/**
 * Reads a policy file (YAML, or JSON which is YAML too) and validates it. Every error is one line naming
 * the file, the line, the field and what is wrong, so a broken policy is fixed in one look.
 */
import { existsSync } from "node:fs";
import { LineCounter, parseDocument, isMap, isNode, isScalar, isSeq } from "yaml";
import { TriageError, describeError } from "../../core/errors.ts";
import { MAX_POLICY_RULES, MAX_YAML_ALIASES, readLimitedFile } from "../file-limits.ts";
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
  // Counted on the syntax tree, before anything is built from it: a huge rule list costs nothing to refuse.
  const rules = isMap(doc.contents) ? doc.contents.get("rules", true) : undefined;
  if (isSeq(rules) && rules.items.length > MAX_POLICY_RULES) {
    const line = rules.range ? counter.linePos(rules.range[0]).line : 1;
    throw new TriageError(
      "BAD_POLICY",
      `${source}:${line}: rules: ${rules.items.length} rules; the limit is ${MAX_POLICY_RULES}`,
    );
  }
  let data: unknown;
  try {
    // The yaml library refuses an alias bomb (more expansions than maxAliasCount) with a ReferenceError.
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    throw new TriageError("BAD_POLICY", `${source}: cannot read the policy: ${describeError(error)}`);
  }
  const parsed = policySchema.safeParse(data);
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
  return parsePolicy(readLimitedFile(path, "policy file", "BAD_POLICY"), path);
}
