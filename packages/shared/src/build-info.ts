import { readFileSync } from "node:fs";

/** Which build of a Berth program this is. */
export interface BuildInfo {
  /** The package's version ("unknown" when its package.json cannot be read). */
  readonly version: string;
  /** The git revision `npm run build` stamped into `dist/build.json` ("unknown" when unstamped). */
  readonly revision: string;
}

/**
 * Reads the build of the package at `packageRoot`, the package's directory, which is
 * `new URL("../", import.meta.url)` from both its `src/` and `dist/` files.
 */
export function readBuildInfo(packageRoot: URL): BuildInfo {
  const read = (path: string): Record<string, unknown> => {
    try {
      return JSON.parse(readFileSync(new URL(path, packageRoot), "utf8"));
    } catch {
      return {};
    }
  };
  return {
    version: String(read("package.json").version ?? "unknown"),
    revision: String(read("dist/build.json").revision ?? "unknown"),
  };
}

/** What a Berth program's `--version` prints: `<program> <version> (git <revision>)`. */
export function versionLine(program: string, packageRoot: URL): string {
  const { version, revision } = readBuildInfo(packageRoot);
  return `${program} ${version} (git ${revision})`;
}
