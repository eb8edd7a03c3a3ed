// @ts-check
/**
 * The layer rule: core ← tools | memory | prompts ← agent ← evals ← apps, with bench on top. A module may
 * import its own layer's folder and any lower layer; never a higher one, nor a sibling of its own rank
 * (tools, memory and prompts do not know each other). Tests included: a test lives in the layer of what
 * it proves. See docs/architecture.md.
 */
import path from "node:path";

/** @type {Record<string, number>} */
export const LAYER_RANK = { core: 0, tools: 1, memory: 1, prompts: 1, agent: 2, evals: 3, apps: 4, bench: 5 };

const ROOT = import.meta.dirname;

/** @param {string} file */
function layerOf(file) {
  const top = path.relative(ROOT, file).split(path.sep)[0] ?? "";
  return top in LAYER_RANK ? top : null;
}

/** @type {import("eslint").Rule.RuleModule} */
const layersRule = {
  meta: {
    type: "problem",
    docs: {
      description: "Imports go down the layers: core ← tools | memory | prompts ← agent ← evals ← apps",
    },
    schema: [],
  },
  create(context) {
    const from = layerOf(context.filename);
    if (from === null) return {};
    const fromRank = LAYER_RANK[from] ?? 0;
    /** @param {import("estree").Node} node @param {unknown} source */
    function check(node, source) {
      if (typeof source !== "string" || !source.startsWith(".")) return;
      const to = layerOf(path.resolve(path.dirname(context.filename), source));
      if (to === null || to === from) return;
      const toRank = LAYER_RANK[to] ?? 0;
      if (toRank < fromRank) return;
      const how = toRank === fromRank ? "a sibling layer" : "a higher layer";
      context.report({ node, message: `${from}/ may not import ${to}/ (${how}): ${source}` });
    }
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => check(node, node.source?.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => check(node, node.source.type === "Literal" ? node.source.value : undefined),
    };
  },
};

export const layersPlugin = { rules: { imports: layersRule } };
