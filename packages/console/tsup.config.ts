import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "bin/lars-console": "src/bin/lars-console.ts" },
  format: ["esm", "cjs"],
  dts: { entry: { index: "src/index.ts" } },
  sourcemap: true,
  clean: true,
  shims: true,
  target: "node20",
  platform: "node",
});
