/** Where the checkout is, apart from config.ts so a command's help can name paths without loading it. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

function nearestPackageRoot(from: string): string {
  for (let folder = from; ; folder = dirname(folder)) {
    if (existsSync(join(folder, "package.json"))) return folder;
    if (dirname(folder) === folder) return resolve(from, "..");
  }
}

/** The checkout: the nearest folder above this module with a package.json (agent/ under tsx, dist/agent/ built). */
export const projectRoot = nearestPackageRoot(dirname(fileURLToPath(import.meta.url)));
