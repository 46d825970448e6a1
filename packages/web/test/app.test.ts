/**
 * The browser app end to end: the built app (packages/web/dist) served by a
 * real berthd, driven in Debian's Chromium. Needs `npx tsc -b` and
 * `pnpm --filter @berth/web build` first (the root `npm test` does both).
 *
 * One daemon and one page go through the scenarios in order. The daemon
 * listens on a fixed free port so that it can be restarted on the same origin.
 * Set `BERTH_WEB_SCREENSHOTS=1` to refresh docs/screenshots/*.png.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Code, ConnectError } from "@berth/client";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../../server/test/support/berthd-process.js";
import { launchChromium } from "./support/chromium.js";
import { freePort } from "./support/free-port.js";
import { type PageProblems, watchPage } from "./support/page-watch.js";
import { seedContainers, socketClient } from "./support/seed.js";

const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const WEB_DIST = join(REPO_ROOT, "packages/web/dist");
const BERTH_CLI = join(REPO_ROOT, "packages/cli/dist/main.js");
// Screenshots go to docs/ only when asked for, so ordinary runs leave the tree unchanged.
const SCREENSHOTS =
  process.env.BERTH_WEB_SCREENSHOTS === "1"
    ? join(REPO_ROOT, "docs/screenshots")
    : join(tmpdir(), `berth-screenshots-${process.pid}`);
const BULK = 10_000;

let port = 0;
let first: BerthdProcess | undefined;
let daemon: BerthdProcess | undefined;
let browser: Browser | undefined;
let page: Page;
let problems: PageProblems;
let bulkSeeded: Promise<void> = Promise.resolve();

/** The running daemon. */
function berthd(): BerthdProcess {
  if (daemon === undefined) throw new Error("berthd is not running");
  return daemon;
}

function startDaemon(root?: string): Promise<BerthdProcess> {
  return startBerthdProcess({ ...(root === undefined ? {} : { root }), extraArgs: ["--listen", `127.0.0.1:${port}`] });
}

const origin = () => `http://127.0.0.1:${port}`;
const client = (namespace = "default") => socketClient(berthd().socket, namespace);
const row = (id: string) => page.locator(`[id="row-${id}"]`);
const bodyRows = () => page.locator(".grid-body tr");
const connection = () => page.locator(".connection");
const dialog = () => page.locator("dialog[open]");

async function screenshot(name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  expect((await stat(path)).size).toBeGreaterThan(1000);
}

async function openDetails(id: string): Promise<void> {
  await row(id).click();
  await expect.poll(() => page.locator("#details-title").textContent()).toBe(`Container ${id}`);
}

beforeAll(async () => {
  if (!existsSync(join(WEB_DIST, "index.html"))) {
    throw new Error(
      "packages/web/dist/index.html is missing: build the web app first " +
        "(npx tsc -b && pnpm --filter @berth/web build; the root `npm test` does this)",
    );
  }
  port = await freePort();
  first = await startDaemon();
  daemon = first;
  const ids = Array.from({ length: BULK }, (_, index) => ({ id: `c-${String(index).padStart(5, "0")}` }));
  // Seeded while the other scenarios run; awaited by the one that needs it.
  bulkSeeded = seedContainers(first.socket, "bulk", ids);
  bulkSeeded.catch(() => undefined);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, reducedMotion: "reduce" });
  problems = await watchPage(page);
}, 60_000);

afterAll(async () => {
  await bulkSeeded.catch(() => undefined);
  await browser?.close();
  if (daemon !== first) await daemon?.dispose();
  await first?.dispose();
}, 30_000);

describe("berth web app in Chromium", () => {
  it("is served by berthd under its CSP and connects", async () => {
    expect(berthd().stderr()).toContain(`"url":"${origin()}/","msg":"web app"`);
    const response = await page.goto(`${origin()}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await expect.poll(() => connection().textContent()).toBe("Connected");
    await expect.poll(() => page.locator(".summary").textContent()).toBe("0 containers");
    expect(await page.getByRole("grid", { name: "Containers" }).count()).toBe(1);
  });

  it("bundles no Node built-ins", async () => {
    const scripts = (await readdir(join(WEB_DIST, "assets"))).filter((name) => name.endsWith(".js"));
    expect(scripts.length).toBeGreaterThan(0);
    for (const name of scripts) {
      const code = await readFile(join(WEB_DIST, "assets", name), "utf8");
      expect(code).not.toMatch(/["'`]node:|\brequire\(|createConnection/);
    }
  });

  it("has a keyboard tab order through every control", async () => {
    const nav = page.getByRole("navigation", { name: "Views" });
    expect(await nav.getByRole("link").allTextContents()).toEqual(["Containers", "Namespaces", "Leases", "Events"]);
    await nav.getByRole("link", { name: "Containers" }).focus();
    const order: string[] = [];
    for (let step = 0; step < 9; step++) {
      await page.keyboard.press("Tab");
      order.push(await page.evaluate<string>("document.activeElement.id || document.activeElement.textContent"));
    }
    expect(order).toEqual([
      "Namespaces",
      "Leases",
      "Events",
      "namespace",
      "Switch to dark theme",
      "filter",
      "container-search",
      "New container",
      "containers-grid",
    ]);
    // Then the header's sort buttons (the select-all box is disabled while the table is empty).
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement.className")).toBe("sort-button");
  });

  it("creates a container through the form", async () => {
    await page.getByRole("button", { name: "New container" }).click();
    await expect.poll(() => dialog().count()).toBe(1);
    await page.getByLabel("ID").fill("web-1");
    await page.getByLabel("Image").fill("docker.io/library/redis:7");
    await dialog().getByLabel("Labels", { exact: true }).fill("env=dev\nowner=me");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await expect.poll(() => dialog().count()).toBe(0);
    await row("web-1").waitFor();
    expect(await row("web-1").textContent()).toContain("docker.io/library/redis:7");
    // The new container's details open at once, its default spec decoded.
    await expect.poll(() => page.locator("#details-title").textContent()).toBe("Container web-1");
    expect(await page.locator(".spec").textContent()).toContain('"ociVersion": "1.0.2-dev"');
    const { container } = await client().containers.get({ id: "web-1" });
    expect(container?.labels).toEqual({ env: "dev", owner: "me" });
    expect(container?.runtime?.name).toBe("io.containerd.runc.v2");
  });

  it("shows the server's own messages when a create fails", async () => {
    await page.getByRole("button", { name: "New container" }).click();
    await page.getByLabel("ID").fill("web-1");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    const error = page.locator("#create-error");
    await expect.poll(() => error.textContent()).toBe('AlreadyExists: container "web-1": already exists');
    await page.getByLabel("ID").fill("Bad Id");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await expect
      .poll(() => error.textContent())
      .toMatch(/^InvalidArgument: create container failed validation: container\.ID: identifier "Bad Id" must match/);
    // Escape closes the dialog; focus returns to the page.
    await page.keyboard.press("Escape");
    await expect.poll(() => dialog().count()).toBe(0);
  });

  it("filters with containerd's syntax and shows parse errors inline", async () => {
    await seedContainers(berthd().socket, "default", [
      { id: "db-1", image: "docker.io/library/postgres:16", labels: { env: "prod" } },
      { id: "cache-1", image: "docker.io/library/redis:7", labels: { env: "prod" } },
    ]);
    await row("db-1").waitFor();
    const filter = page.getByLabel("Filter");
    await filter.fill("labels.env==prod,image~=redis");
    await filter.press("Enter");
    await expect.poll(() => bodyRows().allTextContents()).toEqual([expect.stringContaining("cache-1")]);
    await filter.fill("id=x");
    await filter.press("Enter");
    const error = page.locator("#filter-error");
    await expect
      .poll(() => error.textContent())
      .toBe(
        'InvalidArgument: filters: parse error: [id >|=|< x]: unsupported operator "=": invalid argument: invalid argument',
      );
    expect(await filter.getAttribute("aria-invalid")).toBe("true");
    expect(await bodyRows().count()).toBe(0);
    await filter.fill("");
    await filter.press("Enter");
    await expect.poll(() => bodyRows().count()).toBe(3);
    expect(await error.textContent()).toBe("");
  });

  it("edits labels with labels.KEY masks, from the keyboard", async () => {
    await page.locator("#containers-grid").focus();
    await page.keyboard.press("Home");
    // Rows in id order: cache-1, db-1, web-1.
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#details-title").textContent()).toBe("Container web-1");
    await page.getByRole("button", { name: "Edit labels" }).click();
    const text = dialog().getByLabel("Labels", { exact: true });
    expect(await text.inputValue()).toBe("env=dev\nowner=me");
    await text.fill("env=prod\nteam=blue");
    await page.getByRole("button", { name: "Save labels" }).click();
    await expect.poll(() => dialog().count()).toBe(0);
    await expect.poll(() => row("web-1").textContent()).toContain("env=prod, team=blue");
    const { container } = await client().containers.get({ id: "web-1" });
    expect(container?.labels).toEqual({ env: "prod", team: "blue" });
    // Escape in the details pane closes it.
    await page.locator("#details-title").focus();
    await page.keyboard.press("Escape");
    await expect.poll(() => page.locator(".details").count()).toBe(0);
  });

  it("deletes only after confirmation", async () => {
    await openDetails("db-1");
    await page.getByRole("button", { name: "Delete…" }).click();
    const confirm = page.getByRole("alertdialog");
    await confirm.waitFor();
    await page.keyboard.press("Escape");
    await expect.poll(() => confirm.count()).toBe(0);
    expect(await row("db-1").count()).toBe(1);
    await page.getByRole("button", { name: "Delete…" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete", exact: true }).click();
    await expect.poll(() => row("db-1").count()).toBe(0);
    const gone = await client()
      .containers.get({ id: "db-1" })
      .catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(ConnectError);
    expect((gone as ConnectError).code).toBe(Code.NotFound);
  });

  it("shows changes made with the berth CLI live, without reload", async () => {
    await promisify(execFile)(process.execPath, [
      BERTH_CLI,
      "--address",
      berthd().socket,
      "c",
      "create",
      "--label",
      "from=cli",
      "--image",
      "docker.io/library/busybox:latest",
      "cli-made",
    ]);
    await row("cli-made").waitFor({ timeout: 10_000 });
    expect(await row("cli-made").textContent()).toContain("from=cli");
    await client().containers.update({
      container: { id: "cli-made", labels: { stage: "two" } },
      updateMask: { paths: ["labels.stage"] },
    });
    await expect.poll(() => row("cli-made").textContent()).toContain("from=cli, stage=two");
    await client().containers.delete({ id: "cache-1" });
    await expect.poll(() => row("cache-1").count()).toBe(0);
  });

  it("follows the system theme until the toggle is used, and remembers the choice", async () => {
    // The button says what pressing it does.
    const toggle = page.getByRole("button", { name: /^Switch to (dark|light) theme$/ });
    const background = () => page.evaluate<string>("getComputedStyle(document.body).backgroundColor");
    await page.emulateMedia({ colorScheme: "dark" });
    await expect.poll(() => toggle.textContent()).toBe("Switch to light theme");
    expect(await background()).toBe("rgb(17, 20, 24)");
    await page.emulateMedia({ colorScheme: "light" });
    await expect.poll(() => toggle.textContent()).toBe("Switch to dark theme");
    expect(await background()).toBe("rgb(246, 247, 249)");
    await toggle.click();
    await page.reload();
    await expect.poll(() => toggle.textContent()).toBe("Switch to light theme");
    expect(await background()).toBe("rgb(17, 20, 24)");
    await page.evaluate("localStorage.removeItem('berth.theme')");
    await page.reload();
    await expect.poll(() => toggle.textContent()).toBe("Switch to dark theme");
  });

  it("scrolls 10,000 containers with a bounded DOM", async () => {
    await bulkSeeded;
    await page.goto(`${origin()}/#/containers?ns=bulk`);
    expect(await page.getByLabel("Namespace").inputValue()).toBe("bulk");
    await expect.poll(() => page.locator(".summary").textContent(), { timeout: 30_000 }).toBe("10,000 containers");
    expect(await bodyRows().count()).toBeLessThan(200);
    await row("c-00000").waitFor();
    // A long wheel scroll, as a user would, straight to the bottom.
    await page.locator("#containers-grid").hover();
    await page.mouse.wheel(0, BULK * 40);
    await row(`c-0${BULK - 1}`).waitFor();
    expect(await row(`c-0${BULK - 1}`).isVisible()).toBe(true);
    expect(await bodyRows().count()).toBeLessThan(200);
    expect(await page.locator("#containers-grid").getAttribute("aria-rowcount")).toBe(String(BULK + 1));
    // End and Enter from the keyboard reach the last container too.
    await page.locator("#containers-grid").focus();
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#details-title").textContent()).toBe(`Container c-0${BULK - 1}`);
  }, 60_000);

  it("reconnects after berthd restarts, then lists again and follows events", async () => {
    await page.getByLabel("Namespace").selectOption("default");
    await row("web-1").waitFor();
    await expect.poll(() => connection().textContent()).toBe("Connected");
    problems.serverDown = true;
    await berthd().stop();
    await expect.poll(() => connection().textContent()).toBe("Reconnecting…");
    daemon = await startDaemon(berthd().root);
    await expect.poll(() => connection().textContent(), { timeout: 15_000 }).toBe("Connected");
    problems.serverDown = false;
    await client().containers.delete({ id: "web-1" });
    await expect.poll(() => row("web-1").count()).toBe(0);
    await seedContainers(berthd().socket, "default", [{ id: "after-restart", labels: { restarted: "yes" } }]);
    await row("after-restart").waitFor({ timeout: 10_000 });
    // berthd takes up to its 5 s grace period to stop while a browser holds keep-alive connections.
  }, 60_000);

  it("shows the event history newest first, live, and loads older events on scroll", async () => {
    const ids = Array.from({ length: 120 }, (_, index) => ({ id: `ev-${String(index).padStart(3, "0")}` }));
    await seedContainers(berthd().socket, "history", ids);
    await page.goto(`${origin()}/#/containers?ns=history`);
    await page.getByRole("link", { name: "Events" }).click();
    await page.getByLabel("Filter").fill("namespace==history");
    await page.getByLabel("Filter").press("Enter");
    const rows = page.locator(".events-table tbody tr");
    await expect.poll(() => rows.count()).toBe(50);
    expect(await rows.first().textContent()).toContain('"id":"ev-119"');
    await seedContainers(berthd().socket, "history", [{ id: "ev-live" }]);
    await expect.poll(() => rows.first().textContent(), { timeout: 10_000 }).toContain('"id":"ev-live"');
    await page.locator(".scroll-area").evaluate((area) => {
      area.scrollTop = area.scrollHeight;
    });
    await expect.poll(() => rows.count()).toBeGreaterThan(51);
    await page.getByRole("link", { name: "Containers" }).click();
    await page.getByRole("grid", { name: "Containers" }).waitFor();
  });

  it("ran without CSP violations, page errors or unexpected console errors", async () => {
    expect(await problems.cspViolations()).toEqual([]);
    expect(problems.pageErrors).toEqual([]);
    expect(problems.consoleErrors).toEqual([]);
  });

  it("saves screenshots of the main views", async () => {
    await seedContainers(berthd().socket, "demo", DEMO);
    await page.goto(`${origin()}/#/containers?ns=demo`);
    await expect.poll(() => page.locator(".summary").textContent()).toBe(`${DEMO.length} containers`);
    await screenshot("table");
    await openDetails("web-frontend");
    await screenshot("details");
    await page.getByRole("button", { name: "Close details" }).click();
    await page.getByRole("button", { name: "New container" }).click();
    await page.getByLabel("ID").fill("api-gateway");
    await page.getByLabel("Image").fill("docker.io/library/nginx:1.27");
    await dialog().getByLabel("Labels", { exact: true }).fill("app=gateway\nenv=prod");
    await screenshot("create");
    await page.keyboard.press("Escape");
    await openDetails("api");
    await page.getByRole("button", { name: "Switch to dark theme" }).click();
    await page.getByRole("button", { name: "Switch to light theme" }).waitFor();
    await screenshot("dark");
  });
});

const DEMO = [
  { id: "web-frontend", image: "docker.io/library/nginx:1.27", labels: { app: "shop", env: "prod", tier: "web" } },
  { id: "web-frontend-canary", image: "docker.io/library/nginx:1.27", labels: { app: "shop", env: "canary" } },
  { id: "api", image: "ghcr.io/example/shop-api:2.14.0", labels: { app: "shop", env: "prod", tier: "api" } },
  { id: "worker-1", image: "ghcr.io/example/shop-worker:2.14.0", labels: { app: "shop", queue: "orders" } },
  { id: "worker-2", image: "ghcr.io/example/shop-worker:2.14.0", labels: { app: "shop", queue: "mail" } },
  { id: "postgres", image: "docker.io/library/postgres:16", labels: { app: "shop", tier: "db" } },
  { id: "redis", image: "docker.io/library/redis:7", labels: { app: "shop", tier: "cache" } },
  { id: "metrics", image: "docker.io/prom/prometheus:v2.53.0", labels: { team: "sre" } },
  { id: "buildkit", image: "docker.io/moby/buildkit:v0.15.1", labels: {} },
];
