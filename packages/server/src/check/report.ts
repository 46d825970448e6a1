import type { StoreReport } from "./verify-store.js";

/**
 * The report as text: a summary line, a problem count, then one line per
 * problem (`<key as JSON string>: <problem>`), so keys with odd bytes stay readable.
 */
export function formatReport(location: string, report: StoreReport): string {
  const lines = [
    `berthd check: ${location}`,
    `${report.namespaces} namespaces, ${report.containers} containers, ${report.leases} leases, ${report.leaseResources} lease resources, ${report.events} events (${report.keys} keys)`,
    report.problems.length === 0 ? "no problems found" : `${report.problems.length} problems:`,
    ...report.problems.map(({ key, problem }) => `${JSON.stringify(key)}: ${problem}`),
  ];
  return `${lines.join("\n")}\n`;
}

/** The report as one JSON document. */
export function formatReportJson(location: string, report: StoreReport): string {
  return `${JSON.stringify({ database: location, ...report, clean: report.problems.length === 0 }, null, 2)}\n`;
}
