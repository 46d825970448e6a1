/**
 * The dashboard's views end to end in Debian's Chromium, against a real
 * berthd, with writes made by other clients (the berth CLI over the unix
 * socket, the Node client) while the page is open: deep links and
 * back/forward, sorting, quick search, bulk actions, the JSON tab and copy,
 * Namespaces, Leases, the Events log, the disconnected banner, the token
 * prompt, axe-core on every view in both themes, and a 375 px window.
 * Needs the built app (the root `npm test` builds it).
 * Set `BERTH_WEB_SCREENSHOTS=1` to refresh docs/screenshots/view-*.png.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../../server/test/support/berthd-process.js";
import { launchChromium } from "./support/chromium.js";
import { freePort } from "./support/free-port.js";
import { type PageProblems, watchPage } from "./support/page-watch.js";
import { seedContainers, socketClient } from "./support/seed.js";

const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const BERTH_CLI = join(REPO_ROOT, "packages/cli/dist/main.js");
const SCREENSHOTS =
  process.env.BERTH_WEB_SCREENSHOTS === "1"
    ? join(REPO_ROOT, "docs/screenshots")
    : join(tmpdir(), `berth-dashboard-${process.pid}`);
const AXE_SOURCE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

let port = 0;
let daemon: BerthdProcess | undefined;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
let problems: PageProblems;

function berthd(): BerthdProcess {
  if (daemon === undefined) throw new Error("berthd is not running");
  return daemon;
}

const origin = () => `http://127.0.0.1:${port}`;
const client = (namespace = "default") => socketClient(berthd().socket, namespace);
const row = (id: string) => page.locator(`[id="row-${id}"]`);
const bodyRows = () => page.locator(".grid-body tr");
const dialog = () => page.locator("dialog[open]");
const rowIds = async () => (await bodyRows().evaluateAll((rows) => rows.map((row) => row.id.slice(4)))) as string[];
/** Row ids in their on-screen order (rows are placed by transform, not by DOM order). */
const shownOrder = async () =>
  (await bodyRows().evaluateAll((rows) =>
    rows
      .map((row) => ({ id: row.id.slice(4), index: Number(row.getAttribute("aria-rowindex")) }))
      .sort((a, b) => a.index - b.index)
      .map((entry) => entry.id),
  )) as string[];

/** Runs the berth CLI against the daemon's socket. */
async function berth(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [BERTH_CLI, "--address", berthd().socket, ...args]);
  return stdout;
}

async function go(hash: string): Promise<void> {
  await page.goto(`${origin()}/${hash}`);
  await expect.poll(() => page.locator(".connection").textContent(), { timeout: 10_000 }).toBe("Connected");
}

async function screenshot(name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  expect((await stat(path)).size).toBeGreaterThan(1000);
}

/** axe-core's violations on the page as `rule: targets`. */
async function axeViolations(): Promise<string[]> {
  await page.evaluate(await readFile(AXE_SOURCE, "utf8"));
  const violations = await page.evaluate<{ id: string; nodes: { target: string[] }[] }[]>(
    "axe.run(document, { resultTypes: ['violations'] }).then((result) => result.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => ({ target: n.target })) })))",
  );
  return violations.map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target).join(" ")}`);
}

beforeAll(async () => {
  port = await freePort();
  daemon = await startBerthdProcess({ extraArgs: ["--listen", `127.0.0.1:${port}`] });
  await seedContainers(berthd().socket, "routes", [
    { id: "a-1", image: "docker.io/library/x:1", labels: { team: "red" } },
    { id: "b-2", image: "docker.io/library/z:1", labels: { team: "blue" } },
    { id: "c-3", image: "docker.io/library/y:1", labels: { team: "blue", tier: "db" } },
  ]);
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: "reduce" });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: origin() });
  page = await context.newPage();
  problems = await watchPage(page);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await daemon?.dispose();
}, 30_000);

describe("the dashboard in Chromium", () => {
  it("restores view, namespace, filter, sort, search and selection from a pasted link", async () => {
    await go("#/containers?ns=routes&sort=-image&id=b-2");
    expect(await page.getByLabel("Namespace").inputValue()).toBe("routes");
    await expect.poll(shownOrder).toEqual(["b-2", "c-3", "a-1"]);
    expect(await page.locator("th", { hasText: "Image" }).getAttribute("aria-sort")).toBe("descending");
    await expect.poll(() => page.locator("#details-title").textContent()).toBe("Container b-2");

    await go("#/containers?ns=routes&filter=labels.team%3D%3Dblue&q=db");
    expect(await page.getByLabel("Filter").inputValue()).toBe("labels.team==blue");
    expect(await page.getByLabel("Search").inputValue()).toBe("db");
    await expect.poll(rowIds).toEqual(["c-3"]);
    await page.reload();
    await expect.poll(rowIds).toEqual(["c-3"]);
  });

  it("sorts by a header click (aria-sort), narrows with the quick search, and goes back and forward", async () => {
    await go("#/containers?ns=routes");
    await expect.poll(shownOrder).toEqual(["a-1", "b-2", "c-3"]);
    const image = page.locator("th", { hasText: "Image" });
    expect(await image.getAttribute("aria-sort")).toBe("none");
    await image.getByRole("button").click();
    expect(await image.getAttribute("aria-sort")).toBe("ascending");
    await expect.poll(shownOrder).toEqual(["a-1", "c-3", "b-2"]);
    await image.getByRole("button").click();
    expect(await image.getAttribute("aria-sort")).toBe("descending");
    await expect.poll(shownOrder).toEqual(["b-2", "c-3", "a-1"]);
    expect(await page.evaluate("location.hash")).toContain("sort=-image");
    await page.goBack();
    await expect.poll(shownOrder).toEqual(["a-1", "c-3", "b-2"]);
    await page.goForward();
    await expect.poll(shownOrder).toEqual(["b-2", "c-3", "a-1"]);
    await page.getByLabel("Search").fill("TEAM=BLUE");
    await expect.poll(shownOrder).toEqual(["b-2", "c-3"]);
    expect(await page.locator(".summary").textContent()).toBe("2 of 3 containers");
    await page.getByLabel("Search").fill("");
    // Open details, go to another view, come back with the browser's Back.
    await row("a-1").click();
    await page.getByRole("link", { name: "Leases" }).click();
    await page.getByRole("heading", { name: "Leases" }).waitFor();
    await page.goBack();
    await expect.poll(() => page.locator("#details-title").textContent()).toBe("Container a-1");
  });

  it("deletes many containers after a confirmation naming the count, keeping each failure visible", async () => {
    await seedContainers(berthd().socket, "bulk", [{ id: "d-1" }, { id: "d-2" }, { id: "d-3" }, { id: "keep" }]);
    await go("#/containers?ns=bulk");
    await row("keep").waitFor();
    for (const id of ["d-1", "d-2", "d-3"]) await page.getByLabel(`Select ${id}`).check();
    const bar = page.getByRole("toolbar", { name: "Selected containers" });
    expect(await bar.locator(".bulk-count").textContent()).toBe("3 containers selected");
    await bar.getByRole("button", { name: "Delete…" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Delete 3 containers?" });
    await confirm.waitFor();
    // Another client deletes one of the three while the confirmation is open: that delete fails.
    await client("bulk").containers.delete({ id: "d-2" });
    await confirm.getByRole("button", { name: "Delete 3 containers" }).click();
    await expect.poll(() => confirm.locator("#bulk-summary").textContent()).toBe("2 succeeded, 1 failed.");
    expect(await confirm.locator('[data-outcome="failed"]').allTextContents()).toEqual([
      expect.stringMatching(/^d-2: NotFound: /),
    ]);
    expect(await confirm.locator('[data-outcome="ok"]').allTextContents()).toEqual(
      expect.arrayContaining(["d-1: done", "d-3: done"]),
    );
    await confirm.getByRole("button", { name: "Close" }).click();
    await expect.poll(rowIds).toEqual(["keep"]);
    expect((await client("bulk").containers.list({})).containers.map((c) => c.id)).toEqual(["keep"]);
  });

  it("shows a failed item of a bulk action with its code and message", async () => {
    await seedContainers(berthd().socket, "bulk", [{ id: "e-1" }, { id: "e-2" }]);
    await row("e-2").waitFor();
    await page.getByLabel("Select e-1").check();
    await page.getByLabel("Select e-2").check();
    await page.getByRole("button", { name: "Label…" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Label 2 containers" });
    // A label key containerd refuses (longer than 4096 bytes) fails for every item, each shown.
    await confirm.getByLabel("Labels to set").fill(`${"k".repeat(4100)}=v`);
    await confirm.getByRole("button", { name: "Label 2 containers" }).click();
    await expect.poll(() => confirm.locator("#bulk-summary").textContent()).toBe("0 succeeded, 2 failed.");
    expect(await confirm.locator('[data-outcome="failed"]').first().textContent()).toMatch(/^e-\d: InvalidArgument: /);
    await confirm.getByRole("button", { name: "Close" }).click();
  });

  it("labels every container shown in one go", async () => {
    await page.getByLabel(/^Select all \d+ shown$/).check();
    await page.getByRole("button", { name: "Label…" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Label 3 containers" });
    await confirm.getByLabel("Labels to set").fill("env=qa");
    await confirm.getByRole("button", { name: "Label 3 containers" }).click();
    await expect.poll(() => confirm.locator("#bulk-summary").textContent()).toBe("3 succeeded, 0 failed.");
    await confirm.getByRole("button", { name: "Close" }).click();
    for (const { labels } of (await client("bulk").containers.list({})).containers) expect(labels.env).toBe("qa");
    await expect.poll(() => row("keep").textContent()).toContain("env=qa");
    await page.getByRole("button", { name: "Clear selection" }).click();
  });

  it("shows the whole record in a JSON tab, and copies the id and the JSON", async () => {
    await go("#/containers?ns=routes&id=c-3");
    await page.getByRole("tab", { name: "JSON" }).click();
    const json = JSON.parse((await page.locator("#container-json").textContent()) ?? "");
    expect(json).toMatchObject({
      id: "c-3",
      image: "docker.io/library/y:1",
      labels: { team: "blue", tier: "db" },
      runtime: { name: "io.containerd.runc.v2", options: null },
      spec: { "@type": "types.containerd.io/opencontainers/runtime-spec/1/Spec", ociVersion: "1.0.2-dev" },
    });
    await page.getByRole("button", { name: "Copy JSON" }).click();
    await expect.poll(() => page.evaluate("navigator.clipboard.readText()")).toContain('"id": "c-3"');
    await page.getByRole("button", { name: "Copy ID" }).click();
    await expect.poll(() => page.evaluate("navigator.clipboard.readText()")).toBe("c-3");
    expect(await page.locator(".copy-status").first().textContent()).toBe("Copied");
  });

  it("lists namespaces with their counts, creates one, edits its labels, and explains why a non-empty one stays", async () => {
    await client("routes").leases.create({ id: "hold" });
    await go("#/namespaces");
    const routes = page.locator('[id="namespace-routes"]');
    await expect.poll(() => routes.locator('[data-count="containers"]').textContent()).toBe("3");
    expect(await routes.locator('[data-count="leases"]').textContent()).toBe("1");
    await page.getByRole("button", { name: "New namespace" }).click();
    await dialog().getByLabel("Name").fill("made-here");
    await dialog().getByLabel("Labels").fill("owner=web");
    await dialog().getByRole("button", { name: "Create namespace" }).click();
    const made = page.locator('[id="namespace-made-here"]');
    await expect.poll(() => made.textContent()).toContain("owner=web");
    await made.getByRole("button", { name: "Edit labels of made-here" }).click();
    await dialog().getByLabel("Labels").fill("owner=ops");
    await dialog().getByRole("button", { name: "Save labels" }).click();
    await expect.poll(() => made.textContent()).toContain("owner=ops");
    expect((await client().namespaces.get({ name: "made-here" })).namespace?.labels).toEqual({ owner: "ops" });
    // A container created by the CLI counts at once.
    await berth("-n", "made-here", "c", "create", "solo");
    await expect.poll(() => made.locator('[data-count="containers"]').textContent()).toBe("1");
    await made.getByRole("button", { name: "Delete made-here" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete", exact: true }).click();
    await expect
      .poll(() => page.locator("#namespace-delete-error").textContent())
      .toMatch(/^FailedPrecondition: namespace "made-here" must be empty/);
    await page.keyboard.press("Escape");
    await berth("-n", "made-here", "c", "rm", "solo");
    await made.getByRole("button", { name: "Delete made-here" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete", exact: true }).click();
    await expect.poll(() => made.count()).toBe(0);
  });

  it("updates the namespace picker and list live when another client creates or removes a namespace", async () => {
    await berth("ns", "create", "from-cli", "via=cli");
    await expect.poll(() => page.locator('[id="namespace-from-cli"]').textContent()).toContain("via=cli");
    await go("#/containers?ns=routes");
    await berth("ns", "create", "later");
    await expect.poll(() => page.getByLabel("Namespace").locator("option").allTextContents()).toContain("later");
    await berth("ns", "rm", "later");
    await expect.poll(() => page.getByLabel("Namespace").locator("option").allTextContents()).not.toContain("later");
  });

  it("manages leases: expiry counting down, resources, sync delete, and leases made by another client", async () => {
    await go("#/leases?ns=routes");
    const hold = page.locator('[id="lease-hold"]');
    await expect.poll(() => hold.textContent()).toContain("never");
    await page.getByRole("button", { name: "New lease" }).click();
    await dialog().getByLabel("ID").fill("short");
    await dialog().getByLabel("Expires after (minutes)").fill("5");
    await dialog().getByRole("button", { name: "Create lease" }).click();
    const short = page.locator('[id="lease-short"]');
    await expect.poll(() => short.locator(".countdown").textContent()).toMatch(/^in 4m 5\ds$/);
    const first = await short.locator(".countdown").textContent();
    await expect.poll(() => short.locator(".countdown").textContent(), { timeout: 5000 }).not.toBe(first);
    // The new lease is open: add a resource, then remove it.
    await page.getByLabel("Type").fill("content");
    await page.getByLabel("Resource ID").fill(`sha256:${"a".repeat(64)}`);
    await page.getByRole("button", { name: "Add resource" }).click();
    await expect.poll(() => short.locator(".number").textContent()).toBe("1");
    expect((await client("routes").leases.listResources({ id: "short" })).resources).toEqual([
      expect.objectContaining({ id: `sha256:${"a".repeat(64)}`, type: "content" }),
    ]);
    await page.getByRole("button", { name: `Remove content sha256:${"a".repeat(64)}` }).click();
    await expect.poll(() => short.locator(".number").textContent()).toBe("0");
    // Made by the CLI while the page is open.
    await berth("-n", "routes", "leases", "create", "--id", "by-cli", "--expires", "2h");
    await expect
      .poll(() => page.locator('[id="lease-by-cli"] .countdown').textContent(), { timeout: 10_000 })
      .toMatch(/^in 1h 59m$/);
    await page.getByRole("button", { name: "Delete lease…" }).click();
    await page.getByLabel("Wait for garbage collection (sync)").check();
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete lease" }).click();
    await expect.poll(() => short.count()).toBe(0);
    expect((await client("routes").leases.list({})).leases.map((lease) => lease.id).sort()).toEqual(["by-cli", "hold"]);
  });

  it("logs events live, filtered with containerd's syntax, and counts what it dropped while paused", async () => {
    await go('#/events?filter=namespace%3D%3D"evlog"');
    expect(await page.getByLabel("Filter").inputValue()).toBe('namespace=="evlog"');
    const rows = page.locator(".events-table tbody tr");
    await berth("-n", "evlog", "c", "create", "--label", "a=b", "first");
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain("/containers/create");
    expect(await rows.first().textContent()).toContain('"id":"first"');
    expect(await rows.first().textContent()).toContain("evlog");
    await page.getByRole("button", { name: "Pause" }).click();
    await seedContainers(berthd().socket, "evlog", [{ id: "p-1" }, { id: "p-2" }, { id: "p-3" }]);
    await expect.poll(() => page.locator(".dropped").textContent()).toBe("3 events dropped while paused");
    expect(await rows.count()).toBe(1);
    await page.getByRole("button", { name: "Resume" }).click();
    await berth("-n", "evlog", "c", "rm", "first");
    await expect.poll(() => rows.first().textContent()).toContain("/containers/delete");
    expect(await rows.count()).toBe(2);
    // A filter on the topic; a filter the server cannot parse is shown as it says.
    await page.getByLabel("Filter").fill('namespace=="evlog",topic=="/containers/delete"');
    await page.getByLabel("Filter").press("Enter");
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByLabel("Filter").fill("topic=x");
    await page.getByLabel("Filter").press("Enter");
    await expect.poll(() => page.locator("#events-filter-error").textContent()).toMatch(/^InvalidArgument: /);
  });

  it("holds at most 1,000 events", async () => {
    const ids = Array.from({ length: 1100 }, (_, index) => ({ id: `flood-${index}` }));
    await seedContainers(berthd().socket, "flood", ids);
    await go('#/events?filter=namespace%3D%3D"flood"');
    const rows = page.locator(".events-table tbody tr");
    await expect.poll(() => rows.count()).toBe(50); // the history's newest page
    await seedContainers(
      berthd().socket,
      "flood",
      Array.from({ length: 1000 }, (_, index) => ({ id: `more-${index}` })),
    );
    await expect.poll(() => rows.first().textContent(), { timeout: 15_000 }).toContain("more-");
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1000);
  }, 60_000);

  it("shows a disconnected banner with the failure and Retry now while berthd is down", async () => {
    await go("#/containers?ns=routes");
    problems.serverDown = true;
    const root = berthd().root;
    await berthd().stop();
    const banner = page.getByRole("alert").filter({ hasText: "Disconnected from berthd." });
    await banner.waitFor({ timeout: 15_000 });
    await expect.poll(() => banner.textContent()).toMatch(/Last error: Unavailable: /);
    // Once the backoffs have grown to their 4 s cap, Retry now sends every link's next attempt at once:
    // the container feed's and the namespace list's, within a moment of each other.
    await page.waitForTimeout(3000);
    const attempts: number[] = [];
    page.on("request", (request) => {
      if (/\/(containerd|berth)\./.test(new URL(request.url()).pathname)) attempts.push(Date.now());
    });
    const clicked = Date.now();
    await banner.getByRole("button", { name: "Retry now" }).click();
    await page.waitForTimeout(400);
    expect(attempts.filter((at) => at >= clicked && at <= clicked + 400).length).toBeGreaterThanOrEqual(2);
    expect(await banner.count()).toBe(1);
    daemon = await startBerthdProcess({ root, extraArgs: ["--listen", `127.0.0.1:${port}`] });
    await expect.poll(() => page.locator(".connection").textContent(), { timeout: 15_000 }).toBe("Connected");
    expect(await banner.count()).toBe(0);
    problems.serverDown = false;
  }, 60_000);

  it("has no axe-core violations on any view, in the light theme and the dark", async () => {
    const views = [
      "#/containers?ns=routes&id=a-1",
      "#/namespaces",
      "#/leases?ns=routes&id=hold",
      '#/events?filter=namespace%3D%3D"evlog"',
    ];
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const view of views) {
        await go(view);
        await page.waitForTimeout(300);
        expect({ scheme, view, violations: await axeViolations() }).toEqual({ scheme, view, violations: [] });
      }
      // A dialog too: its focus is trapped and comes back when it closes.
      await go("#/containers?ns=routes");
      const opener = page.getByRole("button", { name: "New container" });
      await opener.click();
      await dialog().waitFor();
      expect({ scheme, violations: await axeViolations() }).toEqual({ scheme, violations: [] });
      for (let step = 0; step < 12; step++) await page.keyboard.press("Tab");
      expect(await page.evaluate("document.activeElement.closest('dialog') !== null")).toBe(true);
      await page.keyboard.press("Escape");
      await expect.poll(() => page.evaluate("document.activeElement?.textContent")).toBe("New container");
    }
    await page.emulateMedia({ colorScheme: "light" });
  }, 60_000);

  it("does not scroll sideways at 375 px on any view", async () => {
    await page.setViewportSize({ width: 375, height: 740 });
    for (const view of [
      "#/containers?ns=routes",
      "#/containers?ns=routes&id=b-2",
      "#/namespaces",
      "#/leases?ns=routes&id=hold",
      "#/events",
    ]) {
      await go(view);
      await page.waitForTimeout(200);
      const widths = await page.evaluate<[number, number]>("[document.documentElement.scrollWidth, innerWidth]");
      expect({ view, scrollWidth: widths[0] }).toEqual({ view, scrollWidth: widths[1] });
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("saves a screenshot of every view", async () => {
    await seedContainers(berthd().socket, "demo", DEMO);
    await client("demo").leases.create({ id: "build-cache", labels: { "containerd.io/gc.expire": soon() } });
    await go("#/containers?ns=demo&sort=image&id=api");
    await screenshot("view-containers");
    await page.getByRole("tab", { name: "JSON" }).click();
    await screenshot("view-json");
    await page.getByLabel("Select web-frontend", { exact: true }).check();
    await page.getByLabel("Select web-frontend-canary").check();
    await page.getByRole("button", { name: "Delete…" }).click();
    await screenshot("view-bulk-delete");
    await page.keyboard.press("Escape");
    await go("#/namespaces");
    await expect
      .poll(() => page.locator('[id="namespace-demo"] [data-count="containers"]').textContent(), { timeout: 15_000 })
      .toBe("9");
    await screenshot("view-namespaces");
    await go("#/leases?ns=demo&id=build-cache");
    await screenshot("view-leases");
    await go("#/events");
    await screenshot("view-events");
    await page.emulateMedia({ colorScheme: "dark" });
    await go("#/containers?ns=demo");
    await screenshot("view-dark");
    await page.setViewportSize({ width: 375, height: 740 });
    await screenshot("view-narrow");
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: "light" });
  });

  it("ran without CSP violations, page errors or unexpected console errors", async () => {
    expect(await problems.cspViolations()).toEqual([]);
    expect(problems.pageErrors).toEqual([]);
    expect(problems.consoleErrors).toEqual([]);
  });
});

describe("a berthd that requires a token", () => {
  let guarded: BerthdProcess | undefined;
  let guardedPort = 0;
  afterAll(async () => {
    await guarded?.dispose();
  });

  it("asks for the token, says when it was refused, and keeps it for the tab", async () => {
    guardedPort = await freePort();
    const tokenFile = join(tmpdir(), `berth-web-token-${process.pid}`);
    await writeFile(tokenFile, "s3cret\n", { mode: 0o600 });
    guarded = await startBerthdProcess({
      extraArgs: ["--listen", `127.0.0.1:${guardedPort}`, "--token-file", tokenFile],
    });
    await seedContainers(guarded.socket, "default", [{ id: "guarded-1" }]);
    const tab = await context.newPage();
    const url = `http://127.0.0.1:${guardedPort}/`;
    await tab.goto(url);
    const prompt = tab.getByRole("dialog", { name: "berthd needs a token" });
    await prompt.waitFor();
    await prompt.getByLabel("Token").fill("wrong");
    await prompt.getByRole("button", { name: "Use token" }).click();
    await expect.poll(() => prompt.textContent()).toContain("berthd refused the token (Unauthenticated)");
    await prompt.getByLabel("Token").fill("s3cret");
    await prompt.getByRole("button", { name: "Use token" }).click();
    await tab.locator('[id="row-guarded-1"]').waitFor({ timeout: 15_000 });
    expect(await prompt.count()).toBe(0);
    expect(await tab.evaluate("sessionStorage.getItem('berth.token')")).toBe("s3cret");
    await tab.reload();
    await tab.locator('[id="row-guarded-1"]').waitFor();
    expect(await prompt.count()).toBe(0);
    await tab.close();
  }, 60_000);
});

function soon(): string {
  return `${new Date(Date.now() + 3 * 3600_000).toISOString().slice(0, 19)}Z`;
}

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
