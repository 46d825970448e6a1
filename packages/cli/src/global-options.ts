/**
 * The options every berth command takes (ctr's global flags): where berthd is,
 * which namespace, the per-call timeout, the wire protocol, and the
 * credentials for a berthd on TCP (TLS files, bearer token file).
 */
import { DEFAULT_NAMESPACE } from "@berth/client";
import { defaultSocketPath, type NodeProtocol } from "@berth/client/node";
import { type Command, InvalidArgumentError, Option } from "commander";
import { parseTimeout } from "./duration.js";

/** The global options once flags, environment and defaults are combined. */
export interface GlobalOptions {
  /** Unix socket path or TCP address of berthd. */
  readonly address: string;
  /** Namespace sent with every call. */
  readonly namespace: string;
  /** Deadline of each call in milliseconds; absent means none. */
  readonly timeoutMs?: number;
  /** Wire protocol. */
  readonly protocol: NodeProtocol;
  /** Files for an `https://` address and a token-protected berthd; absent ones are not used. */
  readonly credentials?: CredentialFiles;
}

/** Paths of the files that let berth reach berthd over TLS and/or with a bearer token. */
export interface CredentialFiles {
  /** PEM CA that issued berthd's certificate. */
  readonly tlsCa?: string;
  /** PEM client certificate, for mTLS. */
  readonly tlsCert?: string;
  /** PEM private key of the client certificate. */
  readonly tlsKey?: string;
  /** File holding the bearer token. */
  readonly tokenFile?: string;
}

/** The global options as commander parsed them from the command line. */
export interface GlobalFlags {
  readonly address?: string;
  readonly namespace?: string;
  readonly timeout?: number | undefined;
  readonly protocol?: NodeProtocol;
  readonly tlsCa?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tokenFile?: string;
}

/**
 * Declares the global options on the program. Environment fallbacks are
 * applied by {@link resolveGlobalOptions}, not by commander, so that an empty
 * variable counts as unset and the environment can be injected in tests.
 */
export function addGlobalOptions(program: Command, env: NodeJS.ProcessEnv = process.env): Command {
  return program
    .addOption(
      new Option(
        "--address <address>",
        "berthd's unix socket, or http(s)://host:port for its TCP listener " +
          `(default: ${defaultSocketPath(env)}; env: BERTH_ADDRESS, then CONTAINERD_ADDRESS)`,
      ),
    )
    .addOption(
      new Option("-n, --namespace <ns>", `namespace to use (default: ${DEFAULT_NAMESPACE}; env: CONTAINERD_NAMESPACE)`),
    )
    .addOption(
      new Option("--timeout <duration>", "deadline of each call, e.g. 500ms, 5s, 1m (default: none)").argParser(
        timeoutArgument,
      ),
    )
    .addOption(new Option("--protocol <protocol>", "wire protocol").choices(["grpc", "connect"]).default("grpc"))
    .addOption(
      new Option(
        "--tls-ca <file>",
        "PEM CA that issued berthd's certificate, for https:// addresses (default: Node's CA list)",
      ),
    )
    .addOption(
      new Option("--tls-cert <file>", "PEM client certificate, for a berthd that requires one (default: none)"),
    )
    .addOption(new Option("--tls-key <file>", "PEM private key of --tls-cert (default: none)"))
    .addOption(
      new Option(
        "--token-file <file>",
        "file holding the bearer token of a berthd started with --token-file (default: none)",
      ),
    );
}

/**
 * Combines parsed flags with the environment: `--address`, else
 * `BERTH_ADDRESS`, else `CONTAINERD_ADDRESS`, else the default socket path;
 * `-n`, else `CONTAINERD_NAMESPACE`, else `default`.
 */
export function resolveGlobalOptions(flags: GlobalFlags, env: NodeJS.ProcessEnv): GlobalOptions {
  const address = flags.address ?? nonEmpty(env.BERTH_ADDRESS) ?? nonEmpty(env.CONTAINERD_ADDRESS);
  const { tlsCa, tlsCert, tlsKey, tokenFile } = flags;
  const credentials = Object.fromEntries(
    Object.entries({ tlsCa, tlsCert, tlsKey, tokenFile }).filter(([, path]) => path !== undefined),
  );
  return {
    address: address ?? defaultSocketPath(env),
    namespace: flags.namespace ?? nonEmpty(env.CONTAINERD_NAMESPACE) ?? DEFAULT_NAMESPACE,
    protocol: flags.protocol ?? "grpc",
    ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout }),
    ...(Object.keys(credentials).length === 0 ? {} : { credentials }),
  };
}

function timeoutArgument(value: string): number | undefined {
  try {
    return parseTimeout(value);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === "" ? undefined : value;
}
