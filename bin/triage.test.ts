import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { projectRoot } from "../agent/project-root.ts";

/**
 * The launcher in a checkout of its own, whose "CLI" only says which copy ran: the compiled one in dist/
 * or the TypeScript source through tsx.
 */
function checkout(): { root: string; write: (path: string, text: string, ageSeconds?: number) => void } {
  const root = mkdtempSync(join(tmpdir(), "triage-launcher-"));
  mkdirSync(join(root, "bin"));
  copyFileSync(join(projectRoot, "bin", "triage.js"), join(root, "bin", "triage.js"));
  symlinkSync(join(projectRoot, "node_modules"), join(root, "node_modules"));
  const write = (path: string, text: string, ageSeconds = 0) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
    const at = Date.now() / 1000 - ageSeconds;
    utimesSync(join(root, path), at, at);
  };
  write("package.json", '{ "type": "module" }\n');
  write("apps/cli.ts", 'const copy: string = "source";\nconsole.log(copy);\n', 60);
  return { root, write };
}

function whichRan(root: string): string {
  const result = spawnSync(process.execPath, [join(root, "bin", "triage.js")], { encoding: "utf8" });
  expect(result.stderr).toBe("");
  return result.stdout.trim();
}

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe("bin/triage.js", () => {
  it("runs dist/ when it is newer than every source it was built from", () => {
    const { root, write } = checkout();
    roots.push(root);
    write("dist/inputs.json", '["apps/cli.ts"]\n');
    write("dist/apps/cli.js", 'console.log("built");\n');
    expect(whichRan(root)).toBe("built");
  });

  it("runs the sources through tsx when one changed after the build, or is gone, or nothing was built", () => {
    const { root, write } = checkout();
    roots.push(root);
    expect(whichRan(root)).toBe("source");

    write("dist/inputs.json", '["apps/cli.ts"]\n', 30);
    write("dist/apps/cli.js", 'console.log("built");\n', 30);
    write("apps/cli.ts", 'console.log("edited source");\n');
    expect(whichRan(root)).toBe("edited source");

    write("dist/inputs.json", '["apps/cli.ts", "apps/removed.ts"]\n');
    write("dist/apps/cli.js", 'console.log("built");\n');
    expect(whichRan(root)).toBe("edited source");
  });
});

describe("the build", () => {
  // vitest's global setup built dist/ from this checkout (scripts/vitest-global-setup.ts).
  const run = (args: string[], entry: string[]) =>
    spawnSync(process.execPath, [...entry, ...args], { cwd: projectRoot, encoding: "utf8", timeout: 60_000 });
  const built = ["dist/apps/cli.js"];
  const source = ["--import", "tsx", "apps/cli.ts"];

  it("lists the sources and the files read beside them, and no tests or documentation", () => {
    const inputs: unknown = JSON.parse(readFileSync(join(projectRoot, "dist", "inputs.json"), "utf8"));
    expect(inputs).toEqual(
      expect.arrayContaining(["apps/cli.ts", "agent/run-triage.ts", "prompts/assess.v1.md"]),
    );
    expect(inputs).toEqual(expect.arrayContaining(["agent/reasoners/offline/model/email-model.json"]));
    expect(JSON.stringify(inputs)).not.toMatch(/\.test\.ts|README/);
  });

  it("prints what the sources print", () => {
    for (const args of [["--help"], ["cases", "--help"], ["eval", "--help"], ["bogus-command", "--db"]]) {
      const [fromBuild, fromSource] = [run(args, built), run(args, source)];
      expect(fromBuild.stdout).toBe(fromSource.stdout);
      expect(fromBuild.stderr).toBe(fromSource.stderr);
      expect(fromBuild.status).toBe(fromSource.status);
    }
  });
});
