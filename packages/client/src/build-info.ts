import { readFileSync } from "node:fs";

/**
 * What a Berth program's `--version` prints: `<program> <version> (git <revision>)`. The version
 * is the package's; the revision is what `npm run build` stamped into its `dist/build.json`
 * ("unknown" if nothing was stamped). `packageRoot` is the package's directory, which is
 * `new URL("../", import.meta.url)` from both its `src/` and `dist/` files.
 */
export function versionLine(program: string, packageRoot: URL): string {
  const read = (path: string): Record<string, unknown> => {
    try {
      return JSON.parse(readFileSync(new URL(path, packageRoot), "utf8"));
    } catch {
      return {};
    }
  };
  return `${program} ${String(read("package.json").version ?? "unknown")} (git ${String(read("dist/build.json").revision ?? "unknown")})`;
}
