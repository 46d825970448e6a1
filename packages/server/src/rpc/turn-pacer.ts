/**
 * Starts at most `perTurn` tasks in one turn of the event loop and the rest in
 * the turns after, in arrival order.
 *
 * Node's HTTP/2 session writes what the calls of a turn produced only once that
 * turn's JavaScript is done. When a client's 64 requests arrive in one read and
 * all of them are served in that turn, the client waits for the whole batch,
 * then answers with its next 64 requests while the server idles: the two
 * processes take turns instead of working side by side. Serving a few calls
 * per turn lets the first answers leave, and the client start on them, while
 * the server serves the rest (grpc-go, and so containerd, gets the same overlap
 * from serving each call on its own goroutine). A lone call still starts at once.
 */
export class TurnPacer {
  private startedThisTurn = 0;
  private readonly waiting: (() => void)[] = [];
  private turnEndScheduled = false;
  private drainScheduled = false;

  constructor(private readonly perTurn: number) {}

  /** Runs `task` now, or in a later turn when this turn has started enough. */
  run(task: () => void): void {
    if (this.startedThisTurn < this.perTurn && this.waiting.length === 0) {
      this.startedThisTurn += 1;
      if (!this.turnEndScheduled) {
        this.turnEndScheduled = true;
        setImmediate(() => {
          this.turnEndScheduled = false;
          this.startedThisTurn = 0;
        });
      }
      task();
      return;
    }
    this.waiting.push(task);
    this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      for (const task of this.waiting.splice(0, this.perTurn)) task();
      if (this.waiting.length > 0) this.scheduleDrain();
    });
  }
}
