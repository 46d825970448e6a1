/**
 * Records what a page reports that it should not: uncaught exceptions, CSP
 * violations, and console errors other than the browser's own network log of
 * an API error status (Connect answers a failed unary call with a 4xx, and
 * Chromium logs every 4xx) or, while the server is deliberately down, of a
 * refused connection.
 */
import type { Page } from "playwright-core";

/** Problems seen on a page. */
export interface PageProblems {
  readonly pageErrors: string[];
  readonly consoleErrors: string[];
  /** `securitypolicyviolation` events: directive and blocked URI. */
  cspViolations(): Promise<string[]>;
  /** While set, refused and reset connections are expected (the server is restarting). */
  serverDown: boolean;
}

const API_ERROR_STATUS = /^Failed to load resource: the server responded with a status of (400|404|409) /;
const CONNECTION_FAILED = /^Failed to load resource: net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|EMPTY_RESPONSE)/;

const RECORD_VIOLATIONS = `
  const seen = [];
  Object.defineProperty(window, "__cspViolations", { value: seen });
  window.addEventListener("securitypolicyviolation", (event) => {
    seen.push(event.effectiveDirective + " " + event.blockedURI);
  });
`;

/** Starts watching `page`; call before the first navigation. */
export async function watchPage(page: Page): Promise<PageProblems> {
  // Init scripts run through the DevTools protocol, outside the page's CSP.
  await page.addInitScript({ content: RECORD_VIOLATIONS });
  const problems: PageProblems = {
    pageErrors: [],
    consoleErrors: [],
    serverDown: false,
    cspViolations: () => page.evaluate<string[]>("[...(window.__cspViolations ?? [])]"),
  };
  page.on("pageerror", (error) => problems.pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = message.text();
    if (API_ERROR_STATUS.test(text)) return;
    if (problems.serverDown && CONNECTION_FAILED.test(text)) return;
    problems.consoleErrors.push(text);
  });
  return problems;
}
