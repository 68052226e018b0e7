import { defineConfig } from "tsup";

export default defineConfig({
  entry: {"index":"src/index.ts","bin/lars-dns":"src/bin/lars-dns.ts","bin/lars-route":"src/bin/lars-route.ts","table-worker":"src/table-worker.ts"},
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  clean: true,
  shims: true,
  target: "node20",
  platform: "node",
});
