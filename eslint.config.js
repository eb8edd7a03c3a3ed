// @ts-check
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";
import { layersPlugin } from "./eslint-layers.js";

export default tseslint.config(
  { ignores: ["node_modules/**", "evals/results/**", "coverage/**", "dist/**", ".dist-*/**"] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "error",
    },
  },
  {
    files: ["**/*.ts"],
    plugins: { layers: layersPlugin },
    rules: { "layers/imports": "error" },
  },
  {
    files: ["apps/**/*.ts", "bench/**/*.ts", "evals/**/*.ts", "scripts/**/*.ts"],
    rules: { "no-console": "off" },
  },
);
