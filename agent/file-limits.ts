/**
 * Limits on the files a person hands us (config, policy), so a hostile or mistaken file is refused in
 * milliseconds with one line instead of eating a minute of CPU and a gigabyte of memory.
 */
import { statSync, readFileSync } from "node:fs";
import { TriageError, describeError, type TriageErrorCode } from "../core/errors.ts";

/** Real configs and policies are a few KB; 1 MB leaves room for long comments and rule lists. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Aliases a YAML file may expand; an alias bomb needs thousands, real files use a handful. */
export const MAX_YAML_ALIASES = 100;
/** Policy rules are checked in order for every action: 10,000 is far beyond any real policy. */
export const MAX_POLICY_RULES = 10_000;

/** The file's text, refused with one line when it is missing, unreadable or over MAX_FILE_BYTES. */
export function readLimitedFile(path: string, what: string, code: TriageErrorCode): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (error) {
    throw new TriageError(code, `cannot read ${what} ${path}: ${describeError(error)}`);
  }
  if (size > MAX_FILE_BYTES)
    throw new TriageError(
      code,
      `${what} ${path} is ${(size / 1024 / 1024).toFixed(1)} MB; the limit is ${MAX_FILE_BYTES / 1024 / 1024} MB`,
    );
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new TriageError(code, `cannot read ${what} ${path}: ${describeError(error)}`);
  }
}
