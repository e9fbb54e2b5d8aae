import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // the step tests start real servers and clients as processes: give them time on a 2-core machine
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
