import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**", ".dist-*/**"],
    // The CLI tests spawn bin/triage.js, which runs dist/: build it first, so they test the compiled CLI
    // as users run it, current with the sources.
    globalSetup: ["scripts/vitest-global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
