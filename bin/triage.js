#!/usr/bin/env node
// Runs the compiled CLI in dist/ (`npm run build`; `npm ci` builds it through `prepare`). Without a
// build, or when a source it was built from changed since, runs the TypeScript through tsx instead
// (slower to start, same behaviour), so a checkout never runs stale code.
import { readFileSync, statSync } from "node:fs";
import { URL } from "node:url";

const root = new URL("../", import.meta.url);

function builtIsCurrent() {
  try {
    const built = statSync(new URL("dist/apps/cli.js", root)).mtimeMs;
    const inputs = JSON.parse(readFileSync(new URL("dist/inputs.json", root), "utf8"));
    return inputs.every((input) => statSync(new URL(input, root)).mtimeMs <= built);
  } catch {
    return false; // no build, or a source it was built from is gone
  }
}

if (builtIsCurrent()) {
  await import(new URL("dist/apps/cli.js", root).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(new URL("apps/cli.ts", root).href);
}
