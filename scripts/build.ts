/**
 * Compiles the `triage` CLI to JavaScript in dist/, one file per module, so a start does not pay for
 * compiling TypeScript (tsx takes ~1 s at every start). `npm ci` runs it through `prepare`.
 *
 * dist/ holds the modules apps/cli.ts reaches (dynamic imports included), the files beside them that
 * they read through import.meta.url (prompts, the email model), and inputs.json: every source it was
 * built from, which bin/triage.js compares with the build's time to decide whether dist/ is current.
 */
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

/** The checkout this script belongs to. */
export const buildRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ENTRY = "apps/cli.ts";

/** Every source module the entry reaches, relative to root; packages stay imports. */
async function reachableModules(root: string): Promise<string[]> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    metafile: true,
    platform: "node",
    format: "esm",
    packages: "external",
    logLevel: "silent",
  });
  return Object.keys(result.metafile.inputs).sort();
}

/** Keeps every relative import an import (of the compiled .js), so each module compiles on its own. */
const relativeImportsStayImports: Plugin = {
  name: "relative-imports-stay-imports",
  setup(context) {
    context.onResolve({ filter: /^\.\.?\// }, (args) =>
      args.kind === "entry-point" ? undefined : { path: args.path.replace(/\.ts$/, ".js"), external: true },
    );
  },
};

/** Files a module reads beside itself (prompt templates, the email model): everything but TypeScript and
 * documentation (README.md, SCENARIOS.md: upper-case names), which no module reads. */
function assetsBeside(root: string, modules: string[]): string[] {
  const folders = [...new Set(modules.map((module) => dirname(module)))];
  return folders.flatMap((folder) =>
    readdirSync(join(root, folder), { withFileTypes: true })
      .filter((entry) => entry.isFile() && !/\.ts$|^[A-Z0-9_-]+\.md$/.test(entry.name))
      .map((entry) => join(folder, entry.name)),
  );
}

export interface BuildResult {
  outDir: string;
  modules: number;
  assets: number;
}

/**
 * Builds into a scratch folder, then swaps it in, so a CLI started meanwhile sees either the old build,
 * the new one, or none (and then runs the sources through tsx).
 */
export async function buildCli(root: string = buildRoot): Promise<BuildResult> {
  const outDir = join(root, "dist");
  const scratch = join(root, `.dist-${process.pid}-${Date.now()}`);
  const modules = await reachableModules(root);
  const assets = assetsBeside(root, modules);
  try {
    await build({
      absWorkingDir: root,
      entryPoints: modules,
      outdir: scratch,
      outbase: ".",
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20.19",
      packages: "external",
      plugins: [relativeImportsStayImports],
      logLevel: "warning",
    });
    for (const asset of assets) {
      mkdirSync(dirname(join(scratch, asset)), { recursive: true });
      copyFileSync(join(root, asset), join(scratch, asset));
    }
    writeFileSync(join(scratch, "inputs.json"), `${JSON.stringify([...modules, ...assets])}\n`);
    const old = `${scratch}-old`;
    try {
      renameSync(outDir, old);
    } catch (error) {
      if (!(error instanceof Error && "code" in error && error.code === "ENOENT")) throw error;
    }
    renameSync(scratch, outDir);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { outDir: relative(root, outDir), modules: modules.length, assets: assets.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const result = await buildCli();
  const ms = Math.round(performance.now() - started);
  console.log(`built ${result.outDir}/: ${result.modules} modules, ${result.assets} assets in ${ms} ms`);
}
