import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // The step tests start real servers and clients as processes and spend most of their time
    // waiting for them (a time-out, a tick): more test files at once than cores keeps the suite
    // short on a 2-core machine. They get time to spare for the same reason.
    maxWorkers: 4,
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
