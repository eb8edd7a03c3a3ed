/** Builds dist/ once before a test run: the CLI tests then run the compiled CLI, built from these sources. */
import { buildCli } from "./build.ts";

export default async function setup(): Promise<void> {
  await buildCli();
}
