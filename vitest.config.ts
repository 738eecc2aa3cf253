import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Servers run from the sources serve dist/dashboard: build it when its sources are newer.
    globalSetup: ["test/dashboard/build-dashboard.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
