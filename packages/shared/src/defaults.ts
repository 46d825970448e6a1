import { homedir } from "node:os";
import { join } from "node:path";

/** File name of berthd's socket inside its runtime directory. */
const SOCKET_NAME = "berth.sock";

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Where berthd listens and berth connects when no address is given:
 * `/run/berth/berth.sock` as root, else `$XDG_RUNTIME_DIR/berth/berth.sock`,
 * else `~/.local/state/berth/berth.sock`.
 */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (isRoot()) return join("/run/berth", SOCKET_NAME);
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, "berth", SOCKET_NAME);
  return join(env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "berth", SOCKET_NAME);
}

/**
 * Where berthd keeps its database when no `--root` is given: `/var/lib/berth` as
 * root, else `$XDG_DATA_HOME/berth`, else `~/.local/share/berth`.
 */
export function defaultRootDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (isRoot()) return "/var/lib/berth";
  return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "berth");
}
