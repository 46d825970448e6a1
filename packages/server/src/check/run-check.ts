import { join } from "node:path";
import { openExistingDatabase, StoreLockedError, StoreUnavailableError } from "../store/open.js";
import { formatReport, formatReportJson } from "./report.js";
import { verifyStore } from "./verify-store.js";

/** Exit statuses of `berthd check`. */
export const CheckExit = { clean: 0, problems: 1, cannotOpen: 2 } as const;

/** Options of {@link runCheck}. */
export interface RunCheckOptions {
  /** berthd's `--root`; the database is `<root>/db`. */
  readonly root: string;
  readonly json?: boolean;
  /** Where the report goes (default stdout). */
  readonly write?: (text: string) => void;
  /** Where an open failure goes (default stderr). */
  readonly writeError?: (text: string) => void;
}

/**
 * `berthd check`: opens the database without creating it, verifies every key,
 * prints the report and returns the exit status (0 clean, 1 problems, 2 cannot open).
 */
export async function runCheck(options: RunCheckOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const writeError = options.writeError ?? ((text: string) => process.stderr.write(text));
  const location = join(options.root, "db");
  let db: Awaited<ReturnType<typeof openExistingDatabase>>;
  try {
    db = await openExistingDatabase(options.root);
  } catch (error) {
    if (!(error instanceof StoreLockedError || error instanceof StoreUnavailableError)) throw error;
    writeError(`berthd check: ${error.message}\n`);
    return CheckExit.cannotOpen;
  }
  try {
    const report = await verifyStore(db);
    write(options.json === true ? formatReportJson(location, report) : formatReport(location, report));
    return report.problems.length === 0 ? CheckExit.clean : CheckExit.problems;
  } finally {
    await db.close();
  }
}
