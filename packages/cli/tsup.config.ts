import { defineConfig } from "tsup";

export default defineConfig({
  entry: {"index":"src/index.ts","bin/lars":"src/bin/lars.ts"},
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
  platform: "node",
});
