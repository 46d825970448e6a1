/**
 * `pnpm bench --web`: the web app's container table with a big namespace, in
 * Debian's Chromium. berthd serves the built app on loopback; one namespace is
 * filled to each size in turn (10,000 then 100,000 by default) and the page is
 * loaded fresh several times per size. Measured in the page: when the first
 * row shows and when the streamed listing is complete; then, after a forced
 * garbage collection, the JS heap and the DOM's size; frame times while the
 * table scrolls 10 and 50 rows a frame; and how long a header click (sort by
 * image) and a quick search take to show their rows.
 */
import { join } from "node:path";
import { type Browser, type CDPSession, chromium, type Page } from "playwright-core";
import { runLoad } from "./load.js";
import { rssBytes } from "./proc.js";
import { startBerthd } from "./targets.js";
import { median, phaseCall } from "./workload.js";

/** Options of {@link runWebBench}. */
export interface WebBenchOptions {
  readonly berthdMain: string;
  /** Empty directory for berthd's root. */
  readonly work: string;
  /** Namespace sizes measured, ascending. */
  readonly sizes: readonly number[];
  /** Fresh page loads per size; figures are medians. */
  readonly loads: number;
  readonly port: number;
  readonly chromium: string;
  readonly log: (message: string) => void;
}

/** Figures of one namespace size (medians over the page loads). */
export interface WebSizeResult {
  readonly containers: number;
  /** Navigation start → the first row on screen. */
  readonly firstRowMs: number;
  /** Navigation start → the listing complete (the count settled). */
  readonly allRowsMs: number;
  /** JS heap after a forced GC with every container loaded. */
  readonly heapMiB: number;
  readonly heapBytesPerContainer: number;
  /** Elements in the document with every container loaded. */
  readonly domElements: number;
  /** Table rows in the DOM (the virtualised window). */
  readonly renderedRows: number;
  /** Frame times while scrolling 10 rows a frame (a fast wheel fling) for 240 frames. */
  readonly flingFrameMedianMs: number;
  readonly flingFrameP95Ms: number;
  /** Frame times at 50 rows a frame (dragging the scrollbar): every rendered row is new in every frame. */
  readonly dragFrameMedianMs: number;
  readonly dragFrameP95Ms: number;
  /** Click on the Image header → the sorted rows painted. */
  readonly sortMs: number;
  /** Typing a quick search → its rows painted. */
  readonly searchMs: number;
  /** berthd's RSS after the loads. */
  readonly berthdRssMiB: number;
}

/** The run's figures. */
export interface WebBenchResult {
  readonly chromium: string;
  readonly sizes: readonly WebSizeResult[];
}

const NAMESPACE = "web-bench";
const FILL_CONCURRENCY = 64;
const SCROLL_FRAMES = 240;
/** Rows scrolled per frame: a fast wheel fling (a wheel notch is about 3 rows), and a scrollbar drag. */
const FLING_ROWS = 10;
const DRAG_ROWS = 50;
/** The table's row height (container-row.tsx). */
const ROW_HEIGHT = 36;

/** Records, from the page's own clock, when the first row and the settled count appear. */
const TIMING_SCRIPT = `
  window.__berthTiming = { firstRow: undefined, allRows: undefined };
  new MutationObserver(() => {
    const timing = window.__berthTiming;
    if (timing.firstRow === undefined && document.querySelector(".grid-body tr")) timing.firstRow = performance.now();
    const summary = document.querySelector(".summary");
    if (timing.allRows === undefined && summary && /^[\\d,]+ containers?$/.test(summary.textContent ?? "")) {
      timing.allRows = performance.now();
    }
  }).observe(document, { childList: true, subtree: true, characterData: true });
`;

/** Runs every size; berthd and Chromium are stopped before it returns. */
export async function runWebBench(options: WebBenchOptions): Promise<WebBenchResult> {
  const { log } = options;
  const berthd = await startBerthd({
    main: options.berthdMain,
    root: join(options.work, "berthd"),
    socket: join(options.work, "berthd.sock"),
    extraArgs: ["--listen", `127.0.0.1:${options.port}`],
  });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: options.chromium,
      args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    });
    const version = browser.version();
    const sizes: WebSizeResult[] = [];
    let present = 0;
    for (const size of options.sizes) {
      log(`web: filling ${NAMESPACE} to ${size.toLocaleString("en")} containers`);
      const create = phaseCall("create", berthd, NAMESPACE, 0);
      await runLoad(size - present, FILL_CONCURRENCY, create, present);
      present = size;
      const loads: Omit<WebSizeResult, "berthdRssMiB" | "containers">[] = [];
      for (let load = 0; load < options.loads; load++) {
        loads.push(await measureLoad(browser, options.port, size));
        log(`web: ${size} containers, load ${load + 1}: first row ${loads.at(-1)?.firstRowMs.toFixed(0)} ms`);
      }
      const pick = (key: keyof (typeof loads)[number]) => median(loads.map((entry) => entry[key]));
      sizes.push({
        containers: size,
        firstRowMs: pick("firstRowMs"),
        allRowsMs: pick("allRowsMs"),
        heapMiB: pick("heapMiB"),
        heapBytesPerContainer: pick("heapBytesPerContainer"),
        domElements: pick("domElements"),
        renderedRows: pick("renderedRows"),
        flingFrameMedianMs: pick("flingFrameMedianMs"),
        flingFrameP95Ms: pick("flingFrameP95Ms"),
        dragFrameMedianMs: pick("dragFrameMedianMs"),
        dragFrameP95Ms: pick("dragFrameP95Ms"),
        sortMs: pick("sortMs"),
        searchMs: pick("searchMs"),
        berthdRssMiB: rssBytes(berthd.pid) / 2 ** 20,
      });
    }
    return { chromium: version, sizes };
  } finally {
    await browser?.close();
    await berthd.stop();
  }
}

/** One fresh page: load, measure, close. */
async function measureLoad(
  browser: Browser,
  port: number,
  size: number,
): Promise<Omit<WebSizeResult, "berthdRssMiB" | "containers">> {
  // waitForFunction evaluates its string in the page, which the app's CSP (no eval) would refuse.
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  try {
    await page.addInitScript({ content: TIMING_SCRIPT });
    await page.goto(`http://127.0.0.1:${port}/#/containers?ns=${NAMESPACE}`);
    const settled = JSON.stringify(`${size.toLocaleString("en")} containers`);
    await page.waitForFunction(`document.querySelector(".summary")?.textContent === ${settled}`, undefined, {
      timeout: 600_000,
      polling: 100,
    });
    const timing = await page.evaluate<{ firstRow: number; allRows: number }>("window.__berthTiming");
    const cdp = await page.context().newCDPSession(page);
    const heap = await heapUsed(cdp);
    const domElements = await page.evaluate<number>("document.getElementsByTagName('*').length");
    const renderedRows = await page.locator(".grid-body tr").count();
    const fling = await scrollFrames(page, FLING_ROWS);
    const drag = await scrollFrames(page, DRAG_ROWS);
    const sortMs = await timeToPaint(page, async () => {
      await page.locator("th", { hasText: "Image" }).getByRole("button").click();
    });
    const searchMs = await timeToPaint(page, async () => {
      await page.getByLabel("Search").fill("c-0000999");
    });
    await cdp.detach();
    return {
      firstRowMs: timing.firstRow,
      allRowsMs: timing.allRows,
      heapMiB: heap / 2 ** 20,
      heapBytesPerContainer: heap / size,
      domElements,
      renderedRows,
      flingFrameMedianMs: fling.median,
      flingFrameP95Ms: fling.p95,
      dragFrameMedianMs: drag.median,
      dragFrameP95Ms: drag.p95,
      sortMs,
      searchMs,
    };
  } finally {
    await page.close();
  }
}

/** JS heap in use after two forced collections. */
async function heapUsed(cdp: CDPSession): Promise<number> {
  await cdp.send("HeapProfiler.enable");
  await cdp.send("HeapProfiler.collectGarbage");
  await cdp.send("HeapProfiler.collectGarbage");
  const { usedSize } = await cdp.send("Runtime.getHeapUsage");
  return usedSize;
}

/** Scrolls the grid down `rows` a frame for 240 frames, from the middle of the list; the frames' durations. */
async function scrollFrames(page: Page, rows: number): Promise<{ median: number; p95: number }> {
  const step = rows * ROW_HEIGHT;
  const durations = await page.evaluate<number[]>(`new Promise((resolve) => {
    const grid = document.getElementById("containers-grid");
    const start = Math.max(0, (grid.scrollHeight - grid.clientHeight) / 2 - ${(SCROLL_FRAMES * step) / 2});
    const step = ${step};
    const times = [];
    let last = performance.now();
    let frame = 0;
    const tick = (now) => {
      times.push(now - last);
      last = now;
      if (frame++ >= ${SCROLL_FRAMES}) return resolve(times.slice(1));
      grid.scrollTop = start + frame * step;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })`);
  const sorted = [...durations].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)] ?? 0,
    p95: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0,
  };
}

/** ms from just before `action` to the second animation frame after it (its render painted). */
async function timeToPaint(page: Page, action: () => Promise<void>): Promise<number> {
  const start = await page.evaluate<number>("performance.now()");
  await action();
  const end = await page.evaluate<number>(
    "new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now()))))",
  );
  return end - start;
}

/** The report's Markdown. */
export function renderWebMarkdown(result: WebBenchResult, meta: { command: string; startedAt: string }): string {
  const lines = [
    "# Web app: the container table with a big namespace",
    "",
    `${meta.startedAt} · \`${meta.command}\` · Chromium ${result.chromium} · Node ${process.version}`,
    "",
    "Medians over fresh page loads. Times from the page's own clock (navigation start = 0).",
    "Scrolling: 240 frames from the middle of the list at 10 rows a frame (a fast wheel fling) and at 50",
    "(dragging the scrollbar: every rendered row is new in every frame); 16.7 ms is 60 frames a second.",
    "",
    "| containers | first row | all rows | JS heap | heap / container | DOM elements | rows in DOM | fling frame p50 / p95 | drag frame p50 / p95 | sort by image | quick search | berthd RSS |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const size of result.sizes) {
    lines.push(
      `| ${size.containers.toLocaleString("en")} | ${size.firstRowMs.toFixed(0)} ms | ${(size.allRowsMs / 1000).toFixed(2)} s | ${size.heapMiB.toFixed(1)} MiB | ${size.heapBytesPerContainer.toFixed(0)} B | ${size.domElements} | ${size.renderedRows} | ${size.flingFrameMedianMs.toFixed(1)} / ${size.flingFrameP95Ms.toFixed(1)} ms | ${size.dragFrameMedianMs.toFixed(1)} / ${size.dragFrameP95Ms.toFixed(1)} ms | ${size.sortMs.toFixed(0)} ms | ${size.searchMs.toFixed(0)} ms | ${size.berthdRssMiB.toFixed(0)} MiB |`,
    );
  }
  lines.push("");
  return lines.join("\n");
}
