// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * Layers point down only (DESIGN.md). For each package: the @lars packages its
 * src/ may import. Tests may also use siblings listed in devDependencies.
 */
const LAYERS = {
  iobuf: [],
  codec: ["iobuf"],
  "event-loop": ["iobuf", "codec"],
  "tcp-conn": ["iobuf", "codec", "event-loop"],
  "tcp-server": ["iobuf", "codec", "event-loop", "tcp-conn"],
  "tcp-client": ["iobuf", "codec", "event-loop", "tcp-conn"],
  udp: ["iobuf", "codec", "event-loop"],
  config: ["iobuf"],
  protobuf: ["iobuf", "codec"],
  // The system (DESIGN.md "The system on the reactor"): services compose the
  // reactor, proto and store; no service imports another service.
  proto: ["iobuf", "codec", "protobuf"],
  store: ["iobuf"],
  service: ["iobuf", "config"],
  dns: ["iobuf", "codec", "event-loop", "tcp-conn", "tcp-server", "config", "protobuf", "proto", "store", "service"],
  reporter: ["iobuf", "codec", "event-loop", "tcp-conn", "tcp-server", "config", "protobuf", "proto", "store", "service"],
  agent: ["iobuf", "codec", "event-loop", "tcp-conn", "tcp-client", "udp", "config", "protobuf", "proto", "service"],
  api: ["iobuf", "codec", "event-loop", "udp", "protobuf", "proto", "service"],
  console: ["iobuf", "codec", "config", "protobuf", "proto", "store", "service"],
  cli: ["iobuf", "codec", "event-loop", "tcp-conn", "tcp-server", "tcp-client", "udp", "config", "protobuf", "proto", "store", "service", "dns", "reporter", "agent", "api", "console"],
};
const ALL = Object.keys(LAYERS);

const layerRules = Object.entries(LAYERS).map(([pkg, allowed]) => ({
  files: [`packages/${pkg}/src/**/*.ts`],
  ignores: [`packages/${pkg}/src/**/*.test.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        paths: ALL.filter((p) => p !== pkg && !allowed.includes(p)).map((p) => ({
          name: `@lars/${p}`,
          message: `@lars/${pkg} may not import @lars/${p}: layers only point down (DESIGN.md).`,
        })),
        patterns: [
          {
            group: ["@lars/*/src", "@lars/*/src/*", "@lars/*/dist/*", "../../*/src/*", "../../../packages/*"],
            message: "Import another package only through its public entry (its index exports).",
          },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/.turbo/**", "docs-api/**", "bench/results/**", "**/*.cjs", "**/*.mjs", "**/*.js", "**/generated/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: ["@lars/*/src", "@lars/*/src/*", "@lars/*/dist/*"], message: "Import another package only through its public entry." }] },
      ],
    },
  },
  ...layerRules,
  {
    files: ["**/*.test.ts", "**/test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/unbound-method": "off",
    },
  },
);
