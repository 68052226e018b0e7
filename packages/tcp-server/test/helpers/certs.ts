import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A certificate and its private key, PEM. */
export interface KeyPair {
  readonly key: Buffer;
  readonly cert: Buffer;
}

/**
 * Certificates made for one test file, in a temporary directory that
 * {@link TestCerts.remove} deletes. Nothing here is ever committed: every run
 * makes fresh keys with the `openssl` CLI.
 */
export interface TestCerts {
  /** The temporary directory (PEM files: ca, server, client, untrusted). */
  readonly dir: string;
  /** The test CA's certificate: trust it to accept `server` and `client`. */
  readonly ca: Buffer;
  /** Server certificate for `127.0.0.1` and `localhost`, signed by the CA (serverAuth). */
  readonly server: KeyPair;
  /** Client certificate (CN `lars-test-client`), signed by the CA (clientAuth). */
  readonly client: KeyPair;
  /** Self-signed, for `127.0.0.1` and `localhost` too, trusted by nobody. */
  readonly untrusted: KeyPair;
  /** Delete the directory and the keys in it. Idempotent. */
  remove(): void;
}

const DAYS = "2";
const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** Fail with a clear message when the `openssl` CLI is missing (the TLS tests need it). */
export function requireOpenssl(): void {
  const probe = spawnSync("openssl", ["version"], { encoding: "utf8" });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      "the TLS tests make their certificates at test time with the `openssl` command-line tool, " +
        `and it could not be run (${probe.error?.message ?? `exit ${probe.status}: ${probe.stderr}`}). ` +
        "Install OpenSSL (e.g. `apt-get install openssl`) so that `openssl version` works.",
    );
  }
}

/**
 * Make a CA, a server and a client certificate signed by it, and an
 * untrusted self-signed certificate (EC P-256 keys, valid 2 days).
 * Synchronous: call it in `beforeAll`, and `remove()` in `afterAll`.
 */
export function makeTestCerts(): TestCerts {
  requireOpenssl();
  const dir = mkdtempSync(join(tmpdir(), "lars-tls-"));
  const f = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => {
    try {
      execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
      throw new Error(`openssl ${args.join(" ")} failed: ${stderr || String(err)}`, { cause: err });
    }
  };
  try {
    // The CA.
    openssl("req", "-x509", ...KEY, "-keyout", f("ca.key"), "-out", f("ca.crt"), "-days", DAYS, "-subj", "/CN=Lars Test CA",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    // Leaf certificates signed by it.
    const leaf = (name: string, cn: string, ext: string): void => {
      writeFileSync(f(`${name}.ext`), `basicConstraints=CA:FALSE\n${ext}\n`);
      openssl("req", ...KEY, "-keyout", f(`${name}.key`), "-out", f(`${name}.csr`), "-subj", `/CN=${cn}`);
      openssl("x509", "-req", "-in", f(`${name}.csr`), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial",
        "-out", f(`${name}.crt`), "-days", DAYS, "-extfile", f(`${name}.ext`));
    };
    leaf("server", "localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth");
    leaf("client", "lars-test-client", "extendedKeyUsage=clientAuth");
    // Self-signed: right names, wrong issuer.
    openssl("req", "-x509", ...KEY, "-keyout", f("untrusted.key"), "-out", f("untrusted.crt"), "-days", DAYS, "-subj", "/CN=localhost",
      "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost");
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const pair = (name: string): KeyPair => ({ key: readFileSync(f(`${name}.key`)), cert: readFileSync(f(`${name}.crt`)) });
  return {
    dir,
    ca: readFileSync(f("ca.crt")),
    server: pair("server"),
    client: pair("client"),
    untrusted: pair("untrusted"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
