/**
 * In-process wake-ups: "there may be work" for executors and "run X changed" for live
 * streams. A lost wake-up only delays work by one poll interval, so nothing depends on them
 * for correctness (other processes are found by polling).
 */
import { EventEmitter } from 'node:events';

export class Notifier {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /** Signals that runs or items may be claimable. */
  workAvailable(): void {
    this.emitter.emit('work');
  }

  /** Signals that a run's record or events changed. */
  runChanged(runId: string): void {
    this.emitter.emit(`run:${runId}`);
    this.emitter.emit('run:*', runId);
  }

  /** Signals that a run was canceled: executors abort its in-flight attempts. */
  runCanceled(runId: string): void {
    this.emitter.emit('cancel', runId);
    this.runChanged(runId);
  }

  /** Subscribes to cancellations; returns the unsubscribe function. */
  onCancel(fn: (runId: string) => void): () => void {
    this.emitter.on('cancel', fn);
    return () => this.emitter.off('cancel', fn);
  }

  /** Subscribes; returns the unsubscribe function. */
  onWork(fn: () => void): () => void {
    this.emitter.on('work', fn);
    return () => this.emitter.off('work', fn);
  }

  /** Subscribes to every run's changes; returns the unsubscribe function. */
  onAnyRun(fn: (runId: string) => void): () => void {
    this.emitter.on('run:*', fn);
    return () => this.emitter.off('run:*', fn);
  }

  /** Subscribes to one run's changes; returns the unsubscribe function. */
  onRun(runId: string, fn: () => void): () => void {
    this.emitter.on(`run:${runId}`, fn);
    return () => this.emitter.off(`run:${runId}`, fn);
  }
}
