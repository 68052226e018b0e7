import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// Runs after `build` (turbo: test dependsOn build). Loads the built package
// the way users do, by name through its `exports`, in fresh Node processes.
const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const SCRIPT = `
  const { protobufCodec, echoMessageCodec, echoMessageType, ECHO_MESSAGE_PROTO } = lars;
  const body = echoMessageCodec.encode({ content: "Hello Lars!!!", id: 1 });
  let code;
  try { echoMessageCodec.decode(Uint8Array.of(0x0f)); } catch (err) { code = err.code; }
  console.log(JSON.stringify({
    body: Buffer.from(body).toString("hex"),
    decoded: { ...echoMessageCodec.decode(body) },
    code,
    generic: protobufCodec(echoMessageType).name,
    proto: ECHO_MESSAGE_PROTO.includes("message EchoMessage"),
  }));
`;

function run(args: string[]): unknown {
  const out = execFileSync(process.execPath, args, { cwd: PACKAGE_DIR, encoding: "utf8", timeout: 10_000 });
  return JSON.parse(out.trim().split("\n").pop()!);
}

const expected = {
  body: "0a0d48656c6c6f204c6172732121211001",
  decoded: { content: "Hello Lars!!!", id: 1 },
  code: "LARS_PAYLOAD_DECODE",
  generic: "protobuf:qps_test.EchoMessage",
  proto: true,
};

describe("built package (dist)", () => {
  it("has ESM, CJS and both declaration files", () => {
    for (const file of ["index.js", "index.cjs", "index.d.ts", "index.d.cts"]) {
      expect(existsSync(new URL(`../dist/${file}`, import.meta.url)), `dist/${file} (run the build first)`).toBe(true);
    }
  });

  it("works through import", () => {
    expect(run(["--input-type=module", "-e", `import * as lars from "@lars/protobuf";\n${SCRIPT}`])).toEqual(expected);
  });

  it("works through require", () => {
    expect(run(["-e", `const lars = require("@lars/protobuf");\n${SCRIPT}`])).toEqual(expected);
  });
});
