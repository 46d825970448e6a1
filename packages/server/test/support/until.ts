/** How long a test waits for an asynchronous condition before it fails. */
export const WAIT_MS = 2000;

/** Polls `condition` every 2 ms until it holds; rejects naming `what` after {@link WAIT_MS}. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
