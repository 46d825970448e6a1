#!/usr/bin/env node
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { versionLine } from "@berth/client/build-info";
import { defaultRootDirectory, defaultSocketPath } from "@berth/client/defaults";
import { Command, InvalidArgumentError, Option } from "commander";
import { pino } from "pino";
import { runCheck } from "./check/run-check.js";
import { isLoopbackHost, readTokenFile } from "./server/auth.js";
import { type Berthd, startBerthd } from "./server/berthd.js";
import { AddressInUseError } from "./server/listeners.js";
import { loadTlsCredentials, type TlsCredentials } from "./server/tls.js";
import { StoreDamagedError, StoreLockedError } from "./store/open.js";

/** Parses `HOST:PORT` (IPv6 hosts in brackets). */
function parseHostPort(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (match === null || port > 65535) throw new InvalidArgumentError("expected HOST:PORT, e.g. 127.0.0.1:8080");
  return { host: match[1] ?? (match[2] || "127.0.0.1"), port };
}

/** Parses a duration such as `500ms`, `30s`, `10m` or `1h` into milliseconds. */
function parseDuration(value: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(value);
  if (match === null) throw new InvalidArgumentError("expected a duration such as 500ms, 30s, 10m or 1h");
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
}

function parseCount(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError("expected a positive whole number");
  return Number(value);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The web app that `npm run build` copies next to berthd (dist/web), if it was built. */
function bundledWebRoot(): string | undefined {
  const root = fileURLToPath(new URL("./web", import.meta.url));
  return existsSync(join(root, "index.html")) ? root : undefined;
}

function parseId(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a numeric id");
  return Number(value);
}

/** The access flags of the TCP listener. */
interface AccessFlags {
  readonly listen?: { host: string; port: number };
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsClientCa?: string;
  readonly tokenFile?: string;
}

/** Loads the TLS files and token the flags name, refusing combinations that would be ignored. */
async function loadAccess(flags: AccessFlags): Promise<{ tls?: TlsCredentials; token?: string }> {
  const { tlsCert, tlsKey, tlsClientCa, tokenFile } = flags;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new Error("--tls-cert and --tls-key go together");
  if (tlsClientCa !== undefined && tlsCert === undefined) {
    throw new Error("--tls-client-ca needs --tls-cert and --tls-key");
  }
  if (flags.listen === undefined && (tlsCert !== undefined || tokenFile !== undefined)) {
    throw new Error("--tls-cert, --tls-key and --token-file protect the TCP listener: give --listen HOST:PORT too");
  }
  return {
    ...(tlsCert === undefined || tlsKey === undefined
      ? {}
      : { tls: await loadTlsCredentials({ certFile: tlsCert, keyFile: tlsKey, clientCaFile: tlsClientCa }) }),
    ...(tokenFile === undefined ? {} : { token: await readTokenFile(tokenFile) }),
  };
}

const program = new Command("berthd")
  .description("containerd's container-metadata API (gRPC, gRPC-Web, Connect) over LevelDB")
  .version(
    versionLine("berthd", new URL("../", import.meta.url)),
    "-v, --version",
    "print the version and git revision",
  )
  .option("--root <dir>", "database directory", defaultRootDirectory())
  .option("--address <path>", "unix socket to serve", defaultSocketPath())
  .option("--listen <host:port>", "also serve TCP (HTTP/2 and HTTP/1.1) on this address", parseHostPort)
  .option("--tls-cert <file>", "serve TCP over TLS with this PEM certificate chain (with --tls-key)")
  .option("--tls-key <file>", "PEM private key of --tls-cert")
  .option("--tls-client-ca <file>", "require TCP clients to present a certificate issued by this PEM CA (mTLS)")
  .option("--token-file <file>", "require `authorization: Bearer <token>` on TCP calls; the file holds the token")
  .option("--uid <uid>", "owner of the socket file", parseId)
  .option("--gid <gid>", "group of the socket file", parseId)
  .option("--web-root <dir>", "serve this built web app at / (default: packages/web/dist when built)")
  .option("--cors-origin <origin>", "let pages from this origin call the API (repeatable)", collect, [])
  .option(
    "--allowed-host <name>",
    "host name the cleartext TCP listener answers to besides localhost, 127.0.0.1 and [::1] (repeatable)",
    collect,
    [],
  )
  .option("--max-connections <n>", "connections each listener accepts at once", parseCount, 1024)
  .option("--idle-timeout <duration>", "close connections without open calls after this long", parseDuration, 600_000)
  .option("--request-timeout <duration>", "time a request has to arrive in full", parseDuration, 60_000)
  .option("--stall-timeout <duration>", "cut off calls whose client reads nothing for this long", parseDuration, 30_000)
  .option("--handshake-timeout <duration>", "time a new connection has to start HTTP/2 or TLS", parseDuration, 10_000)
  .option("--max-filter-cpu <duration>", "CPU one List may spend matching its filters", parseDuration, 1000)
  .addOption(
    new Option("--log-level <level>", "log level")
      .choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default("info"),
  )
  .showHelpAfterError()
  .action(async (options) => {
    const logger = pino({ name: "berthd", level: options.logLevel }, pino.destination(2));
    const access = await loadAccess(options);
    let berthd: Berthd;
    try {
      berthd = await startBerthd({
        ...access,
        root: options.root,
        address: options.address,
        listen: options.listen,
        uid: options.uid,
        gid: options.gid,
        webRoot: options.webRoot ?? bundledWebRoot(),
        corsOrigins: options.corsOrigin,
        allowedHosts: options.allowedHost,
        maxMatchingMs: options.maxFilterCpu,
        limits: {
          maxConnections: options.maxConnections,
          h2: {
            idleTimeoutMs: options.idleTimeout,
            requestTimeoutMs: options.requestTimeout,
            sendStallTimeoutMs: options.stallTimeout,
            handshakeTimeoutMs: options.handshakeTimeout,
          },
        },
        logger,
      });
    } catch (error) {
      if (
        error instanceof StoreLockedError ||
        error instanceof StoreDamagedError ||
        error instanceof AddressInUseError
      ) {
        process.stderr.write(`berthd: ${error.message}\n`);
        process.exit(1);
      }
      throw error;
    }
    // Before "serving" is logged: whoever waits for that line may signal at once.
    let stopping = false;
    const stop = async (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, "shutting down");
      await berthd.close();
      logger.info("stopped");
      process.exit(0);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    if (access.token !== undefined && access.tls === undefined && !isLoopbackHost(options.listen.host)) {
      logger.warn("the bearer token crosses the network in cleartext: add --tls-cert and --tls-key");
    }
    logger.info({ root: options.root, addresses: berthd.addresses }, "serving");
    const web = berthd.addresses.find((address) => /^https?:\/\//.test(address));
    if (web !== undefined && (options.webRoot ?? bundledWebRoot()) !== undefined) {
      process.stderr.write(`berthd: web app at ${web}/\n`);
    }
  });

program
  .command("check")
  .description("verify the database under --root offline (exit 0 clean, 1 problems, 2 cannot open)")
  .option("--json", "print the report as JSON")
  .option("--repair", "first rebuild the database from what can be read (LevelDB repair), reporting what was dropped")
  .action(async (options: { json?: boolean; repair?: boolean }) => {
    // --root is berthd's own option, so `berthd check --root DIR` and `berthd --root DIR check` agree.
    process.exitCode = await runCheck({
      root: program.opts().root,
      json: options.json === true,
      repair: options.repair === true,
    });
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`berthd: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
