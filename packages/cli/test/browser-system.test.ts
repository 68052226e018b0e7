// The console of a real `lars up` system in a real browser (Debian's chromium through
// playwright-core): log in, add a route in the UI, an API caller gets the new host, failing
// calls put it in overload, and the live view shows it without a reload.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { LarsClient } from "@lars/api";
import { createLogger } from "@lars/service";
import { ensureDataDir, startSystem } from "../src/index.js";
import type { LarsSystem } from "../src/index.js";
import { writeTestConfigs } from "./helpers.js";

const CHROMIUM = process.env.LARS_TEST_CHROMIUM ?? "/usr/bin/chromium";
// CI sets LARS_TEST_CHROMIUM: there a missing browser fails the test instead of skipping it
const missing = !existsSync(CHROMIUM) && process.env.LARS_TEST_CHROMIUM === undefined;
const ARTIFACTS = fileURLToPath(new URL("../test-artifacts/", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "lars-cli-browser-"));

describe.skipIf(missing)(`lars up's console in a browser${missing ? ` (skipped: ${CHROMIUM} is not installed)` : ""}`, () => {
  let system: LarsSystem;
  let browser: Browser;
  let page: Page;
  let client: LarsClient;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    writeTestConfigs(root);
    system = await startSystem(ensureDataDir(root), { logger: createLogger({ name: "lars-test", level: "silent" }) });
    client = new LarsClient({ ports: system.agentPorts, timeoutMs: 2000 });
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (e) => errors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await client?.close();
    await system?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("log in, add a route in the UI, getHost returns it, failing calls show it in overload live", async () => {
    await page.goto(`${system.console.url}/routes`);
    await page.fill('input[name="secret"]', "test-password-123");
    await Promise.all([page.waitForURL(/\/routes$/), page.click('button[type="submit"]')]);

    const add = page.locator("#add-host");
    await add.locator('input[name="modid"]').fill("50");
    await add.locator('input[name="cmdid"]').fill("1");
    await add.locator('input[name="ip"]').fill("10.20.0.1");
    await add.locator('input[name="port"]').fill("8001");
    await Promise.all([page.waitForURL(/\/routes\?modid=50$/), add.locator("button").click()]);
    await page.waitForSelector('tr[data-route="50:1"] li[data-host="10.20.0.1:8001"]');
    await page.screenshot({ path: `${ARTIFACTS}system-routes.png`, fullPage: true });

    // the console wrote through the store the dns serves from: pushed, and the agent pulls it on first ask
    const warm = await client.regInit(50, 1, { attempts: 40, intervalMs: 50 });
    expect(warm).toMatchObject({ ok: true, host: { ip: "10.20.0.1", port: 8001 } });

    await page.goto(`${system.console.url}/live`);
    const host = '[data-host="50:1 10.20.0.1:8001"]';
    await page.waitForSelector(`${host}[data-state="idle"]`);
    await page.evaluate("window.marker = 7");
    // 15 failures in a row (contin_err_limit): overload
    for (let i = 0; i < 15; i++) client.report(50, 1, { ip: "10.20.0.1", port: 8001 }, 1);
    expect(await client.getHost(50, 1)).toMatchObject({ ok: false, reason: "OVERLOAD" });
    await page.waitForSelector(`${host}[data-state="overload"]`);
    expect(await page.evaluate("window.marker")).toBe(7); // pushed over the event stream, not reloaded
    await page.screenshot({ path: `${ARTIFACTS}system-live-overload.png`, fullPage: true });
    expect(errors).toEqual([]);
  });
});
