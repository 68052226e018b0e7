import { defineConfig } from "tsup";

export default defineConfig({
  entry: {"index":"src/index.ts","bin/lars-api-qps":"src/bin/lars-api-qps.ts","bin/lars-simulator":"src/bin/lars-simulator.ts"},
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
});
