import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { ipToInt32 } from "@lars/proto";
import type { LarsStore } from "@lars/store";
import { startConsole, type LarsConsole } from "../src/index.js";
import { agentStatus, closedStatusUrl, fakeStatusServer, PASSWORD, tempStore } from "./helpers.js";

const CHROMIUM = "/usr/bin/chromium";
const missing = !existsSync(CHROMIUM);
const ARTIFACTS = fileURLToPath(new URL("../test-artifacts/", import.meta.url));

describe.skipIf(missing)(`console in a browser${missing ? ` (skipped: ${CHROMIUM} is not installed)` : ""}`, () => {
  let browser: Browser;
  let page: Page;
  let store: LarsStore;
  let cleanup: () => Promise<void>;
  let agent: Awaited<ReturnType<typeof fakeStatusServer>>;
  let con: LarsConsole;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ({ store, cleanup } = await tempStore());
    agent = await fakeStatusServer(agentStatus([{ ip: "10.0.0.1", port: 8001, state: "idle", vsucc: 12 }, { ip: "10.0.0.2", port: 8002, state: "idle" }]));
    con = await startConsole({
      port: 0,
      store,
      auth: { password: PASSWORD },
      pollMs: 100,
      services: [
        { name: "agent-a", kind: "agent", statusUrl: agent.url },
        { name: "reporter", kind: "reporter", statusUrl: await closedStatusUrl() },
      ],
    });
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    page.setDefaultTimeout(10_000);
    page.on("console", (m) => {
      // the 401 and 400 of the wrong password and the bad port are expected; anything else (CSP, script) is not
      if (m.type() === "error" && !/^Failed to load resource: the server responded with a status of 40[01]/.test(m.text())) errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await con?.close();
    await agent?.close();
    await cleanup?.();
  });

  it("logs in, adds a route in the UI and sees it listed", async () => {
    await page.goto(`${con.url}/routes`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.screenshot({ path: `${ARTIFACTS}login.png`, fullPage: true });
    await page.fill('input[name="secret"]', "not it");
    await page.click('button[type="submit"]');
    await page.waitForSelector(".error");
    expect(await page.textContent(".error")).toContain("Wrong password");
    await page.fill('input[name="secret"]', PASSWORD);
    await Promise.all([page.waitForURL(/\/routes$/), page.click('button[type="submit"]')]);
    expect(await page.textContent("main")).toContain("No routes yet");

    const add = page.locator("#add-host");
    await add.locator('input[name="modid"]').fill("3");
    await add.locator('input[name="cmdid"]').fill("1");
    await add.locator('input[name="ip"]').fill("10.0.0.7");
    await add.locator('input[name="port"]').fill("70000");
    await add.locator("button").click();
    await page.waitForSelector(".error");
    expect(await page.textContent(".error")).toMatch(/Nothing changed: port must be an integer from 1 to 65535/);
    expect(await add.locator('input[name="ip"]').inputValue()).toBe("10.0.0.7"); // the form keeps what was typed
    await add.locator('input[name="port"]').fill("7001");
    await Promise.all([page.waitForURL(/\/routes\?modid=3$/), add.locator("button").click()]);
    await page.waitForSelector('tr[data-route="3:1"] li[data-host="10.0.0.7:7001"]');
    expect(await page.textContent(".flash")).toMatch(/added 10\.0\.0\.7:7001 to route 3:1/);
    await page.screenshot({ path: `${ARTIFACTS}routes.png`, fullPage: true });
    expect(await store.listRoutes()).toEqual([{ modid: 3, cmdid: 1, hosts: [{ ip: ipToInt32("10.0.0.7"), port: 7001 }] }]);

    await Promise.all([page.waitForURL(/\/routes\?modid=3$/), page.click('tr[data-route="3:1"] button[title="remove 10.0.0.7:7001"]')]);
    expect(await page.textContent("main")).toContain("removed 10.0.0.7:7001");
    expect(await store.listRoutes()).toEqual([]);
  });

  it("shows a host going to overload in the live view without a reload", async () => {
    await page.goto(`${con.url}/live`);
    const host = '[data-host="1:1 10.0.0.1:8001"]';
    await page.waitForSelector(`${host}[data-state="idle"]`);
    await page.waitForFunction(`document.getElementById("stream-state")?.textContent?.startsWith("live")`);
    await page.evaluate("window.marker = 42");
    await page.screenshot({ path: `${ARTIFACTS}live-idle.png`, fullPage: true });
    agent.set(agentStatus([{ ip: "10.0.0.1", port: 8001, state: "overload", verr: 9 }, { ip: "10.0.0.2", port: 8002, state: "idle" }]));
    await page.waitForSelector(`${host}[data-state="overload"]`, { timeout: 10_000 });
    expect(await page.evaluate("window.marker")).toBe(42); // same document: pushed, not reloaded
    expect(await page.textContent(`${host} .badge`)).toBe("overload");
    expect(await page.textContent('[data-host="1:1 10.0.0.2:8002"] .badge')).toBe("idle");
    await page.screenshot({ path: `${ARTIFACTS}live-overload.png`, fullPage: true });
  });

  it("shows service health and the call-history charts", async () => {
    await page.goto(`${con.url}/services`);
    await page.waitForSelector('tr[data-service="agent-a"][data-up="true"]');
    await page.waitForSelector('tr[data-service="reporter"][data-up="false"]');
    await page.screenshot({ path: `${ARTIFACTS}services.png`, fullPage: true });

    const now = Math.floor(Date.now() / 1000);
    const rows = [];
    for (let i = 10; i >= 1; i--) {
      rows.push({ modid: 1, cmdid: 1, ip: ipToInt32("10.0.0.1"), port: 8001, windowStart: now - i * 60, succ: 100 - i * 5, err: i, overload: i < 3 });
      rows.push({ modid: 1, cmdid: 1, ip: ipToInt32("10.0.0.2"), port: 8002, windowStart: now - i * 60, succ: 50 + i, err: 0, overload: false });
    }
    await store.insertCallHistory(rows);
    await page.goto(`${con.url}/history?modid=1&cmdid=1&minutes=30`);
    await page.waitForSelector("#chart-succ canvas");
    await page.waitForSelector("#chart-err canvas");
    expect(await page.locator("#chart-succ .u-legend").textContent()).toContain("10.0.0.2:8002");
    await page.screenshot({ path: `${ARTIFACTS}history.png`, fullPage: true });
    expect(errors).toEqual([]); // no CSP violation, no script error
  });
});
