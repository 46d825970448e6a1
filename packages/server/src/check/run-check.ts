import { join } from "node:path";
import { ContainerSchema } from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { fromBinary } from "@bufbuild/protobuf";
import { rebuildContainerIndex } from "../store/container-index.js";
import { Layout } from "../store/layout.js";
import {
  describeDamage,
  openExistingDatabase,
  repairDatabase,
  StoreDamagedError,
  StoreLockedError,
  StoreUnavailableError,
} from "../store/open.js";
import { formatReport, formatReportJson } from "./report.js";
import { verifyStore } from "./verify-store.js";

/** Exit statuses of `berthd check`. */
export const CheckExit = { clean: 0, problems: 1, cannotOpen: 2 } as const;

/** Options of {@link runCheck}. */
export interface RunCheckOptions {
  /** berthd's `--root`; the database is `<root>/db`. */
  readonly root: string;
  readonly json?: boolean;
  /** Repair the database first (LevelDB's RepairDB), reporting what was dropped. */
  readonly repair?: boolean;
  /** Where the report goes (default stdout). */
  readonly write?: (text: string) => void;
  /** Where an open failure goes (default stderr). */
  readonly writeError?: (text: string) => void;
}

/**
 * `berthd check`: reads the write-ahead logs (a damaged one is reported as it
 * is, without opening LevelDB, which would drop the damaged records), opens the
 * database without creating it, verifies every key, prints the report and
 * returns the exit status (0 clean, 1 problems, 2 cannot open). With `repair`,
 * LevelDB's repair runs first and what it dropped is reported; the exit status
 * then describes the repaired database.
 */
export async function runCheck(options: RunCheckOptions): Promise<number> {
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  const writeError = options.writeError ?? ((text: string) => process.stderr.write(text));
  const location = join(options.root, "db");
  let db: Awaited<ReturnType<typeof openExistingDatabase>>;
  try {
    if (options.repair === true) {
      const repaired = await repairDatabase(options.root);
      const dropped = repaired.damage.length === 0 ? "no damaged log records" : describeDamage(repaired.damage);
      const kept = repaired.keptIn === undefined ? "" : `; the damaged logs are kept in ${repaired.keptIn}`;
      writeError(`berthd check: repaired ${location}: dropped ${dropped}${kept}\n`);
      for (const note of repaired.notes) writeError(`berthd check: leveldb: ${note}\n`);
    }
    db = await openExistingDatabase(options.root);
    if (options.repair === true) {
      // What LevelDB's repair kept may disagree with the index written beside it: build it again from the records.
      await rebuildContainerIndex(db, new Layout(db), (bytes) => fromBinary(ContainerSchema, bytes));
      writeError(`berthd check: rebuilt the container index of ${location}\n`);
    }
  } catch (error) {
    if (error instanceof StoreDamagedError) {
      const problems = error.damage.map((damage) => ({
        key: damage.file,
        problem: `${damage.reason} at byte ${damage.offset} (${damage.bytes} bytes unreadable); run berthd check --repair`,
      }));
      const report = { keys: 0, namespaces: 0, containers: 0, leases: 0, leaseResources: 0, events: 0, problems };
      write(options.json === true ? formatReportJson(location, report) : formatReport(location, report));
      return CheckExit.problems;
    }
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
