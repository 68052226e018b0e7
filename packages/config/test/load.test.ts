import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, LarsConfig, serverOptionsFromConfig } from "../src/index.js";

const SERV_CONF = "; Lars reactor\n[reactor]\nmaxConn = 1024\nthreadNum = 5\nip = 127.0.0.1\nport = 7777\n";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "lars-config-"));
});

afterEach(async () => {
  await chmod(dir, 0o700).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

/** Awaits `p` (or runs `fn`), expecting a ConfigError. */
async function rejection(run: () => unknown): Promise<ConfigError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError, nothing was thrown");
}

const loaders = [
  ["load", (path: string) => LarsConfig.load(path)],
  ["loadSync", (path: string) => LarsConfig.loadSync(path)],
] as const;

describe.each(loaders)("LarsConfig.%s", (_name, load) => {
  it("reads a real serv.conf", async () => {
    const path = join(dir, "serv.conf");
    await writeFile(path, SERV_CONF);
    const config = await load(path);
    expect(config.source).toBe(path);
    expect(config.sections()).toEqual(["reactor"]);
    expect(serverOptionsFromConfig(config)).toEqual({ host: "127.0.0.1", port: 7777, maxConn: 1024, workers: 5 });
  });

  it("reads UTF-8 with a BOM and CRLF line ends", async () => {
    const path = join(dir, "win.conf");
    await writeFile(path, "\uFEFF[reactor]\r\nip = 127.0.0.1\r\nname = café\r\n", "utf8");
    const config = await load(path);
    expect(config.section("reactor")).toEqual({ ip: "127.0.0.1", name: "café" });
  });

  it("names the file in errors from getters", async () => {
    const path = join(dir, "serv.conf");
    await writeFile(path, "[reactor]\nport = x\n");
    const config = await load(path);
    const err = await rejection(() => config.getNumber("reactor", "port"));
    expect(err.code).toBe("LARS_CONFIG_BAD_NUMBER");
    expect(err.file).toBe(path);
    expect(err.message).toBe(`${path}: [reactor] port = "x" is not an integer`);
  });

  it("throws LARS_CONFIG_NOT_FOUND for a missing file", async () => {
    const path = join(dir, "missing.conf");
    const err = await rejection(() => load(path));
    expect(err.code).toBe("LARS_CONFIG_NOT_FOUND");
    expect(err.file).toBe(path);
    expect(err.message).toBe(`Lars config file not found: ${path}`);
    expect((err.cause as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  it("throws LARS_CONFIG_NOT_FOUND when a path component is a file (ENOTDIR)", async () => {
    const file = join(dir, "plain");
    await writeFile(file, "");
    const err = await rejection(() => load(join(file, "serv.conf")));
    expect(err.code).toBe("LARS_CONFIG_NOT_FOUND");
    expect((err.cause as NodeJS.ErrnoException).code).toBe("ENOTDIR");
  });

  it("throws LARS_CONFIG_UNREADABLE for a directory", async () => {
    const path = join(dir, "conf.d");
    await mkdir(path);
    const err = await rejection(() => load(path));
    expect(err.code).toBe("LARS_CONFIG_UNREADABLE");
    expect(err.file).toBe(path);
    expect(err.message).toContain(`Lars config file cannot be read: ${path}`);
    expect((err.cause as NodeJS.ErrnoException).code).toBe("EISDIR");
  });

  // root reads any file regardless of its mode, so EACCES cannot be produced there.
  it.skipIf(process.getuid?.() === 0 || process.platform === "win32")(
    "throws LARS_CONFIG_UNREADABLE for a file without read permission",
    async () => {
      const path = join(dir, "secret.conf");
      await writeFile(path, SERV_CONF);
      await chmod(path, 0o000);
      const err = await rejection(() => load(path));
      expect(err.code).toBe("LARS_CONFIG_UNREADABLE");
      expect((err.cause as NodeJS.ErrnoException).code).toBe("EACCES");
    },
  );
});

describe("LarsConfig.load", () => {
  it("rejects rather than throwing synchronously", async () => {
    const result = LarsConfig.load(join(dir, "missing.conf"));
    expect(result).toBeInstanceOf(Promise);
    await expect(result).rejects.toMatchObject({ code: "LARS_CONFIG_NOT_FOUND" });
  });
});
