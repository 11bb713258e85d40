import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Two cores: crash and client tests spawn processes of their own.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Brokers started by tests log nothing unless asked (TRIBUTARY_LOG_LEVEL=info npx vitest ...).
    env: { TRIBUTARY_LOG_LEVEL: process.env.TRIBUTARY_LOG_LEVEL ?? 'silent' },
  },
});
