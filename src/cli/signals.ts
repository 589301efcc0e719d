/**
 * Stopping a long-running command (`up`, `worker`) on SIGTERM/SIGINT: the first signal stops
 * gracefully (no new claims; in-flight items get the grace period, then are released); the
 * second releases in-flight items at once and exits; a third exits immediately.
 */

/** What the commands provide. */
export interface Stoppable {
  /** The graceful stop; the process exits 0 when it resolves, 1 when it rejects. */
  stop(): Promise<void>;
  /** Cut the grace period short: abort and release in-flight items now. */
  hurry(): Promise<void>;
}

/** Installs the SIGTERM/SIGINT handlers. `graceMs` only appears in the message. */
export function stopOnSignals(target: Stoppable, graceMs: number): void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      process.stderr.write(`${signal}: stopping gracefully; in-flight items have ${graceMs} ms to finish (send ${signal} again to release them now)\n`);
      target.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`error: graceful stop failed: ${(err as Error).message}\n`);
          process.exit(1);
        },
      );
    } else if (signals === 2) {
      process.stderr.write(`${signal} again: releasing in-flight items now (send it once more to exit at once)\n`);
      target.hurry().catch((err: unknown) => process.stderr.write(`error: release failed: ${(err as Error).message}\n`));
    } else {
      process.stderr.write(`${signal} a third time: exiting now\n`);
      process.exit(1);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
