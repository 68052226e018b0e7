import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "bin/lars-reporter": "src/bin/lars-reporter.ts", "store-worker": "src/store-worker.ts" },
  format: ["esm", "cjs"],
  dts: { entry: { index: "src/index.ts" } },
  sourcemap: true,
  clean: true,
  shims: true,
  target: "node20",
  platform: "node",
});
