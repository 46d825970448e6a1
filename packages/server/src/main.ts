#!/usr/bin/env node
/**
 * The `berthd` executable: its options (flags, or keys of `--config FILE`), then serve, `check`,
 * or `config default`.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readBuildInfo, versionLine } from "@berth/shared/build-info";
import { Command, Option } from "commander";
import { runCheck } from "./check/run-check.js";
import { loadConfigFile } from "./cli/config-file.js";
import { renderDefaultConfig } from "./cli/default-config.js";
import { createDaemonLogger, defaultLogFormat } from "./cli/logger.js";
import { type DaemonOption, daemonOptions } from "./cli/options.js";
import { type Berthd, startBerthd } from "./daemon.js";
import { isLoopbackHost, readTokenFile } from "./rpc/interceptors/auth.js";
import { StoreDamagedError, StoreLockedError, StoreUnavailableError } from "./store/open.js";
import { AddressInUseError, AddressUnwritableError } from "./transport/listeners.js";
import { loadTlsCredentials, type TlsCredentials } from "./transport/tls.js";

/** The web app that `npm run build` copies next to berthd (dist/web), if it was built. */
function bundledWebRoot(): string | undefined {
  const root = fileURLToPath(new URL("./web", import.meta.url));
  return existsSync(join(root, "index.html")) ? root : undefined;
}

/** The access flags of the TCP listener. */
interface AccessFlags {
  readonly listen?: { host: string; port: number };
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsClientCa?: string;
  readonly tokenFile?: string;
  readonly readOnlyTokenFile?: string;
}

/** Loads the TLS files and token the flags name, refusing combinations that would be ignored. */
async function loadAccess(
  flags: AccessFlags,
): Promise<{ tls?: TlsCredentials; token?: string; readOnlyToken?: string }> {
  const { tlsCert, tlsKey, tlsClientCa, tokenFile, readOnlyTokenFile } = flags;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new Error("--tls-cert and --tls-key go together");
  if (tlsClientCa !== undefined && tlsCert === undefined) {
    throw new Error("--tls-client-ca needs --tls-cert and --tls-key");
  }
  if (flags.listen === undefined && (tlsCert !== undefined || tokenFile !== undefined)) {
    throw new Error("--tls-cert, --tls-key and --token-file protect the TCP listener: give --listen HOST:PORT too");
  }
  if (flags.listen === undefined && readOnlyTokenFile !== undefined) {
    throw new Error("--read-only-token-file protects the TCP listener: give --listen HOST:PORT too");
  }
  return {
    ...(tlsCert === undefined || tlsKey === undefined
      ? {}
      : { tls: await loadTlsCredentials({ certFile: tlsCert, keyFile: tlsKey, clientCaFile: tlsClientCa }) }),
    ...(tokenFile === undefined ? {} : { token: await readTokenFile(tokenFile) }),
    ...(readOnlyTokenFile === undefined ? {} : { readOnlyToken: await readTokenFile(readOnlyTokenFile) }),
  };
}

/** A commander option for one of berthd's options, showing its default in `--help`. */
function flagFor(option: DaemonOption): Option {
  const off = option.defaultValue === undefined ? ` (default: ${option.defaultText})` : "";
  const flag = new Option(`--${option.name} ${option.value}`, `${option.description}${off}`);
  if (option.choices !== undefined) flag.choices(option.choices);
  const parse = option.parse ?? ((text: string) => text);
  if (option.toml === "strings") flag.argParser((text: string, previous: unknown[]) => [...previous, parse(text)]);
  else if (option.parse !== undefined) flag.argParser(option.parse);
  if (option.defaultValue !== undefined) flag.default(option.defaultValue, option.defaultText);
  return flag;
}

const OPTIONS = daemonOptions();
const program = new Command("berthd")
  .description("containerd's container-metadata API (gRPC, gRPC-Web, Connect) over LevelDB")
  .version(
    versionLine("berthd", new URL("../", import.meta.url)),
    "-v, --version",
    "print the version and git revision",
  )
  .option("--config <file>", "read options from this TOML file (keys named as the flags; flags override it)")
  .showHelpAfterError()
  // `berthd check --help` lists --root and --config, which it reads too.
  .configureHelp({ showGlobalOptions: true })
  .addHelpText(
    "after",
    `
Durations are written 500ms, 30s, 10m or 1h. The defaults of --root and --address follow
XDG_DATA_HOME and XDG_RUNTIME_DIR (XDG_STATE_HOME when unset) unless berthd runs as root.
\`berthd config default\` prints every option as a config file.`,
  );
for (const option of OPTIONS) program.addOption(flagFor(option));

// Config file values fill in what the command line did not set, for every command.
program.hook("preAction", async (command) => {
  const file = command.opts().config as string | undefined;
  if (file === undefined) return;
  for (const [key, value] of await loadConfigFile(file, OPTIONS)) {
    if (command.getOptionValueSource(key) !== "cli") command.setOptionValueWithSource(key, value, "config");
  }
});

program.action(async (options) => {
  const logger = createDaemonLogger(options.logLevel, options.logFormat ?? defaultLogFormat());
  const webRoot: string | undefined = options.webRoot ?? bundledWebRoot();
  const access = await loadAccess(options);
  let berthd: Berthd;
  try {
    berthd = await startBerthd({
      ...access,
      root: options.root,
      address: options.address,
      containerd: options.containerd,
      listen: options.listen,
      uid: options.uid,
      gid: options.gid,
      webRoot,
      corsOrigins: options.corsOrigin,
      allowedHosts: options.allowedHost,
      build: readBuildInfo(new URL("../", import.meta.url)),
      limits: {
        maxConnections: options.maxConnections,
        maxMatchingMs: options.maxFilterCpu,
        eventRetentionCount: options.eventRetentionCount,
        eventRetentionAgeMs: options.eventRetentionAge,
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
      error instanceof StoreUnavailableError ||
      error instanceof AddressInUseError ||
      error instanceof AddressUnwritableError
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
  if (web !== undefined && webRoot !== undefined) {
    logger.info({ url: `${web}/` }, "web app");
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

program
  .command("config")
  .description("berthd's config file")
  .command("default")
  .description("print the full default config (every option, as TOML) to use with --config")
  .action(() => {
    process.stdout.write(renderDefaultConfig(OPTIONS));
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`berthd: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
