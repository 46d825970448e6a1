/**
 * A hundred unary Lists of an 8.6 MB namespace at once (3,600 containers with
 * the 2.4 KB spec `ctr` writes), on each target: how far the server's memory
 * climbs while it answers them, and how much of it is given back afterwards.
 */

import { setTimeout as sleep } from "node:timers/promises";
import {
  CreateContainerRequestSchema,
  ListContainersRequestSchema,
} from "@berth/gen/containerd/services/containers/v1/containers_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { rssBytes, sampleRss } from "./proc.js";
import type { Target, TargetName } from "./targets.js";
import { countRepeatedField1 } from "./wire-client.js";
import { RUNTIME, SPEC_TYPE_URL } from "./workload.js";

const NAMESPACE = "bench-lists";
const SERVICE = "/containerd.services.containers.v1.Containers";
/** Containers of the namespace, each with a spec of {@link SPEC_BYTES}: 8.6 MB in all. */
export const LIST_CONTAINERS = 3600;
const SPEC_BYTES = 2400;
/** Lists in flight at once. */
export const CONCURRENT_LISTS = 100;
const CREATE_CONCURRENCY = 32;
/** How long the server is left alone after the Lists before its memory is read again. */
const SETTLE_MS = 3000;

/** What one target's memory did. */
export interface ConcurrentListsResult {
  readonly target: TargetName;
  readonly lists: number;
  readonly containers: number;
  /** Bytes of one List answer. */
  readonly answerBytes: number;
  /** Lists that did not return every container. */
  readonly failures: number;
  readonly firstError: string | undefined;
  readonly seconds: number;
  readonly rssBeforeBytes: number;
  readonly peakRssBytes: number;
  /** {@link SETTLE_MS} after the last answer. */
  readonly rssAfterBytes: number;
}

/** Creates the namespace on `target`, then runs the Lists and reads its memory. */
export async function runConcurrentLists(target: Target): Promise<ConcurrentListsResult> {
  const spec = new TextEncoder().encode(
    JSON.stringify({ ociVersion: "1.0.2-dev", annotations: { pad: "x".repeat(SPEC_BYTES - 60) } }),
  );
  let next = 0;
  const creator = async () => {
    for (let index = next++; index < LIST_CONTAINERS; index = next++) {
      const request = create(CreateContainerRequestSchema, {
        container: {
          id: `list-${String(index).padStart(5, "0")}`,
          labels: { app: "bench" },
          image: "docker.io/library/busybox:1.36",
          runtime: { name: RUNTIME },
          spec: { typeUrl: SPEC_TYPE_URL, value: spec },
        },
      });
      await target.wire.unary(`${SERVICE}/Create`, NAMESPACE, toBinary(CreateContainerRequestSchema, request));
    }
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, creator));
  await sleep(1000);

  const request = toBinary(ListContainersRequestSchema, create(ListContainersRequestSchema, {}));
  const rssBefore = rssBytes(target.pid);
  const sampler = sampleRss(target.pid, 20);
  const started = performance.now();
  let answerBytes = 0;
  const outcomes = await Promise.allSettled(
    Array.from({ length: CONCURRENT_LISTS }, async () => {
      const answer = await target.wire.unary(`${SERVICE}/List`, NAMESPACE, request, 120_000);
      answerBytes = answer.length;
      const count = countRepeatedField1(answer);
      if (count !== LIST_CONTAINERS) throw new Error(`List returned ${count} containers`);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await sleep(SETTLE_MS);
  const peak = sampler.stop();
  const failed = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
  return {
    target: target.name,
    lists: CONCURRENT_LISTS,
    containers: LIST_CONTAINERS,
    answerBytes,
    failures: failed.length,
    firstError: failed[0] === undefined ? undefined : String(failed[0].reason),
    seconds,
    rssBeforeBytes: rssBefore,
    peakRssBytes: peak,
    rssAfterBytes: rssBytes(target.pid),
  };
}
