import { Linter } from "eslint";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { layersPlugin } from "./eslint-layers.js";

const root = import.meta.dirname;

function lint(file: string, code: string): string[] {
  const linter = new Linter({ configType: "flat" });
  const messages = linter.verify(
    code,
    [
      {
        files: ["**/*.ts", "**/*.js"],
        languageOptions: { sourceType: "module", ecmaVersion: 2023 },
        plugins: { layers: layersPlugin },
        rules: { "layers/imports": "error" },
      },
    ],
    join(root, file),
  );
  return messages.map((m) => m.message);
}

describe("the layer rule", () => {
  it("lets a layer import itself and any lower layer", () => {
    expect(lint("agent/nodes/x.js", 'import { a } from "../../core/domain.ts";')).toEqual([]);
    expect(lint("agent/nodes/x.js", 'import { a } from "../../tools/catalog.ts";')).toEqual([]);
    expect(lint("apps/x.js", 'import { a } from "../evals/email/x.ts";')).toEqual([]);
    expect(lint("tools/lab/x.js", 'import { a } from "../catalog.ts";')).toEqual([]);
  });

  it("refuses upward and sideways imports, static, re-exported and dynamic", () => {
    expect(lint("core/x.js", 'import { a } from "../tools/catalog.ts";')).toEqual([
      "core/ may not import tools/ (a higher layer): ../tools/catalog.ts",
    ]);
    expect(lint("memory/x.js", 'export { a } from "../tools/intel.ts";')).toEqual([
      "memory/ may not import tools/ (a sibling layer): ../tools/intel.ts",
    ]);
    expect(lint("agent/x.test.js", 'await import("../apps/render.ts");')).toEqual([
      "agent/ may not import apps/ (a higher layer): ../apps/render.ts",
    ]);
  });

  it("ignores packages and files outside the layers", () => {
    expect(lint("core/x.js", 'import { z } from "zod";')).toEqual([]);
    expect(lint("bench/x.js", 'import { a } from "../apps/main.ts";')).toEqual([]);
  });
});
