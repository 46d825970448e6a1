/** What a command needs to run: a client for berthd, call options, and where to write. */
import { readFileSync } from "node:fs";
import { type BerthClient, createBerthClient } from "@berth/client";
import { createNodeTransport, type NodeTransportOptions } from "@berth/client/node";
import type { CallOptions } from "@connectrpc/connect";
import type { Command } from "commander";
import { type CredentialFiles, type GlobalFlags, type GlobalOptions, resolveGlobalOptions } from "./global-options.js";

/** Where berth writes and which environment it reads (injectable in tests). */
export interface CliIo {
  /** Writes to standard output. */
  readonly stdout: (text: string) => void;
  /** Writes to standard error. */
  readonly stderr: (text: string) => void;
  /** Environment variables, for the global options' fallbacks. */
  readonly env: NodeJS.ProcessEnv;
  /**
   * Calls `listener` when the user interrupts (Ctrl-C, SIGINT) or the process
   * is asked to stop (SIGTERM), until the returned function is called. Only
   * commands that run until interrupted (`events`) listen; while one does,
   * those signals no longer kill the process.
   */
  readonly onInterrupt: (listener: () => void) => () => void;
}

/** A connected command's dependencies. */
export interface CliContext {
  /** The client, in the namespace of `-n`. */
  readonly client: BerthClient;
  /** Options for every call (the `--timeout` deadline). */
  readonly callOptions: CallOptions;
  /** The resolved global options. */
  readonly options: GlobalOptions;
}

/** The process's own standard streams and environment. */
export function createProcessIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    onInterrupt: (listener) => {
      process.on("SIGINT", listener);
      process.on("SIGTERM", listener);
      return () => {
        process.off("SIGINT", listener);
        process.off("SIGTERM", listener);
      };
    },
  };
}

/**
 * Builds the client for the global options. Nothing connects until the
 * first call; an idle connection does not keep the process alive.
 */
export function createCliContext(options: GlobalOptions): CliContext {
  const transport = createNodeTransport({
    address: options.address,
    protocol: options.protocol,
    ...(options.credentials === undefined ? {} : readCredentials(options.credentials)),
  });
  return {
    client: createBerthClient(transport, { namespace: options.namespace }),
    callOptions: options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
    options,
  };
}

/** Reads the TLS files and the token that the global options name. */
function readCredentials(files: CredentialFiles): Pick<NodeTransportOptions, "tls" | "token"> {
  const { tlsCa, tlsCert, tlsKey, tokenFile } = files;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new Error("--tls-cert and --tls-key go together");
  const tls = {
    ...(tlsCa === undefined ? {} : { ca: readFlagFile("--tls-ca", tlsCa) }),
    ...(tlsCert === undefined ? {} : { cert: readFlagFile("--tls-cert", tlsCert) }),
    ...(tlsKey === undefined ? {} : { key: readFlagFile("--tls-key", tlsKey) }),
  };
  const token = tokenFile === undefined ? undefined : readFlagFile("--token-file", tokenFile).toString("utf8").trim();
  if (token === "") throw new Error(`--token-file ${tokenFile} is empty`);
  return {
    ...(Object.keys(tls).length === 0 ? {} : { tls }),
    ...(token === undefined ? {} : { token }),
  };
}

function readFlagFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${flag} ${path}${code === undefined ? "" : ` (${code})`}`);
  }
}

/** The context for a command, from its global options (flags and environment). */
export function connect(command: Command, io: CliIo): CliContext {
  return createCliContext(resolveGlobalOptions(command.optsWithGlobals<GlobalFlags>(), io.env));
}
