/**
 * The web app in front of a real containerd 1.6.20 (berthd `--containerd`),
 * driven in Debian's Chromium: containerd's own containers with their task
 * state, a task started, killed and deleted from the page (each confirmed),
 * changes made with ctr shown live, a container deleted with its snapshot,
 * the Images view, and Connect JSON and gRPC-Web calls from the page itself.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BerthdProcess, startBerthdProcess } from "../../server/test/support/berthd-process.js";
import { type ContainerdProcess, CTR, createContainerd } from "../../server/test/support/containerd-process.js";
import { buildBusyboxImage } from "../../server/test/support/oci-image.js";
import { launchChromium } from "./support/chromium.js";
import { freePort } from "./support/free-port.js";
import { type PageProblems, watchPage } from "./support/page-watch.js";

const IMAGE = "docker.io/library/berth-busybox:latest";
const ID = "app-task";

let directory: string;
let containerd: ContainerdProcess;
let berthd: BerthdProcess;
let origin: string;
let browser: Browser | undefined;
let page: Page;
let problems: PageProblems;

/** ctr against berthd's socket, in containerd's default namespace (the app's first). */
function ctr(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(CTR, ["--address", berthd.socket, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number((error as { code?: number }).code ?? 1), stdout, stderr });
    });
  });
}

const row = () => page.locator(`[id="row-${ID}"]`);
const taskCell = () => row().locator(".cell-task");
const dialog = () => page.locator("dialog[open]");

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "berth-gw-web-"));
  containerd = await createContainerd(join(directory, "ctrd"));
  await containerd.start();
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  berthd = await startBerthdProcess({
    extraArgs: ["--containerd", containerd.socket, "--listen", `127.0.0.1:${port}`],
  });
  const archive = await buildBusyboxImage(directory, IMAGE);
  expect((await ctr("images", "import", archive)).code).toBe(0);
  expect((await ctr("containers", "create", IMAGE, ID, "/bin/sleep", "600")).code).toBe(0);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, reducedMotion: "reduce" });
  problems = await watchPage(page);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await ctr("tasks", "kill", "-s", "SIGKILL", ID);
  await berthd?.dispose();
  await containerd?.stop();
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
}, 60_000);

describe("the web app in front of containerd", () => {
  it("shows containerd's containers with a Task column", async () => {
    await page.goto(`${origin}/`);
    // The first load answers slowly on a busy machine: the Task column needs Introspection's answer too.
    await expect.poll(() => page.locator(".connection").textContent(), { timeout: 10_000 }).toBe("Connected");
    await row().waitFor();
    await expect.poll(() => page.locator(".grid-head").textContent(), { timeout: 10_000 }).toContain("Task");
    await expect.poll(() => taskCell().textContent(), { timeout: 10_000 }).toBe("—");
    expect(await row().textContent()).toContain(IMAGE);
  });

  it("starts the container's task from its details", async () => {
    await row().click();
    await expect.poll(() => page.locator("#details-title").textContent()).toBe(`Container ${ID}`);
    await page.getByRole("button", { name: "Start" }).click();
    await expect.poll(() => taskCell().textContent(), { timeout: 10_000 }).toMatch(/^RUNNING · pid \d+$/);
    if (process.env.BERTH_WEB_SCREENSHOTS === "1") {
      await page.screenshot({ path: fileURLToPath(new URL("../../../docs/screenshots/gateway.png", import.meta.url)) });
    }
    const pid = /pid (\d+)/.exec((await taskCell().textContent()) ?? "")?.[1];
    expect((await ctr("tasks", "ls")).stdout).toMatch(new RegExp(`^${ID}\\s+${pid}\\s+RUNNING$`, "m"));
  });

  it("refuses to delete a container whose task runs", async () => {
    await page.getByRole("button", { name: "Delete…" }).click();
    await expect.poll(() => dialog().textContent()).toContain("Its task is RUNNING: kill it first.");
    expect(await dialog().getByRole("button", { name: "Delete" }).isDisabled()).toBe(true);
    await dialog().getByRole("button", { name: "Cancel" }).click();
    await expect.poll(() => dialog().count()).toBe(0);
  });

  it("kills the task only after confirmation, with the chosen signal", async () => {
    await page.getByRole("button", { name: "Kill…" }).click();
    await expect.poll(() => dialog().count()).toBe(1);
    await dialog().getByRole("button", { name: "Cancel" }).click();
    expect(await taskCell().textContent()).toMatch(/^RUNNING/);
    await page.getByRole("button", { name: "Kill…" }).click();
    await dialog().getByLabel("SIGKILL (9)").check();
    await dialog().getByRole("button", { name: "Kill" }).click();
    await expect.poll(() => taskCell().textContent(), { timeout: 10_000 }).toBe("STOPPED · exit 137");
    expect((await ctr("tasks", "ls")).stdout).toMatch(new RegExp(`^${ID}\\s+\\d+\\s+STOPPED$`, "m"));
    expect(await page.locator("#details-task + .kv").textContent()).toContain("Exit status137");
  });

  it("deletes the stopped task after confirmation", async () => {
    await page.getByRole("button", { name: "Delete task…" }).click();
    await dialog().getByRole("button", { name: "Delete task" }).click();
    await expect.poll(() => taskCell().textContent()).toBe("—");
    expect((await ctr("tasks", "ls")).stdout).not.toContain(ID);
  });

  it("follows tasks started and killed with ctr, live", async () => {
    expect((await ctr("tasks", "start", "-d", ID)).code).toBe(0);
    await expect.poll(() => taskCell().textContent(), { timeout: 10_000 }).toMatch(/^RUNNING · pid \d+$/);
    expect((await ctr("tasks", "kill", "-s", "SIGKILL", ID)).code).toBe(0);
    await expect.poll(() => taskCell().textContent(), { timeout: 10_000 }).toBe("STOPPED · exit 137");
  });

  it("deletes the container with its stopped task and its snapshot, after confirmation", async () => {
    await page.getByRole("button", { name: "Delete…" }).click();
    await expect.poll(() => dialog().textContent()).toContain("with its stopped task and its snapshot");
    await dialog().getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => row().count()).toBe(0);
    expect((await ctr("containers", "ls", "-q")).stdout).not.toContain(ID);
    expect((await ctr("snapshots", "ls")).stdout).not.toMatch(new RegExp(`^${ID}\\s`, "m"));
  });

  it("lists the namespace's images", async () => {
    await page.getByRole("link", { name: "Images" }).click();
    await expect.poll(() => page.locator(`[id="image-${IMAGE}"]`).textContent()).toContain(IMAGE);
    expect(await page.locator(`[id="image-${IMAGE}"]`).textContent()).toContain(
      "application/vnd.oci.image.manifest.v1+json",
    );
    await page.getByRole("link", { name: "Containers" }).click();
    await page.getByRole("grid", { name: "Containers" }).waitFor();
  });

  it("calls containerd through Connect JSON and gRPC-Web from the page", async () => {
    const answers = await page.evaluate(async () => {
      const json = await fetch("/containerd.services.images.v1.Images/List", {
        method: "POST",
        headers: { "content-type": "application/json", "containerd-namespace": "default" },
        body: "{}",
      });
      const grpcWeb = await fetch("/containerd.services.tasks.v1.Tasks/List", {
        method: "POST",
        headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", "containerd-namespace": "default" },
        body: new Uint8Array(5),
      });
      const frames = new Uint8Array(await grpcWeb.arrayBuffer());
      return {
        json: await json.json(),
        grpcWebType: grpcWeb.headers.get("content-type"),
        // The last frame is the trailer frame (flag 0x80) with the status.
        trailer: new TextDecoder().decode(frames.subarray(frames.lastIndexOf(0x80) + 5)),
      };
    });
    expect(answers.json).toMatchObject({ images: [{ name: IMAGE }] });
    expect(answers.grpcWebType).toBe("application/grpc-web+proto");
    expect(answers.trailer).toMatch(/grpc-status: ?0/);
  });

  it("ran without CSP violations, page errors or unexpected console errors", async () => {
    expect(await problems.cspViolations()).toEqual([]);
    expect(problems.pageErrors).toEqual([]);
    expect(problems.consoleErrors).toEqual([]);
  });
});
