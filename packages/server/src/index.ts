/**
 * berthd as a library: start a daemon in-process, or build its pieces (store,
 * rules, handler) for tests and embedding.
 */

export { type ContainersLocal, createContainersLocal } from "./local/containers.js";
export { type Berthd, type BerthdOptions, createHandler, MAX_MESSAGE_BYTES, startBerthd } from "./server/berthd.js";
export { createLevelStore } from "./store/level-store.js";
export { openStore, StoreLockedError } from "./store/open.js";
export type { ContainerStore, Store } from "./store/types.js";
