// Unit tests use the SDK's in-memory exporter; *.e2e.test.ts start a real Jaeger (and Temporal dev server).
module.exports = require('../../jest.base.cjs')(__dirname, { testTimeout: 120_000, maxWorkers: 1 });
