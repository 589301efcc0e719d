/**
 * Following a run to its end (`runs watch`, `columns run --watch`): a progress bar on a TTY
 * stderr, a status line about once a second otherwise, NDJSON events with `--json`; then the
 * final run. Exit code 0 only when the run succeeded.
 */
import cliProgress from 'cli-progress';
import type { RunyardClient, Run } from '../sdk/client.js';
import { ExitCode } from './common.js';
import { clean, printJson } from './output.js';
import { printRun } from './render.js';

const REFRESH_MS = 500;
const LINE_MS = 1000;

interface Progress {
  /** Shows `run`; `final` forces a line even when one was printed less than a second ago. */
  update(run: Run, final?: boolean): void;
  stop(): void;
}

const done = (r: Run) => r.items_succeeded + r.items_failed + r.items_skipped + r.items_canceled;

function barProgress(first: Run): Progress {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {percentage}% | {value}/{total} items | {succeeded} ok, {failed} failed | {status}',
      hideCursor: false,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = (r: Run) => ({ succeeded: r.items_succeeded, failed: r.items_failed, status: clean(r.status) });
  bar.start(Math.max(first.items_total, 1), done(first), payload(first));
  return {
    update: (r) => {
      bar.setTotal(Math.max(r.items_total, 1));
      bar.update(done(r), payload(r));
    },
    stop: () => bar.stop(),
  };
}

function lineProgress(first: Run): Progress {
  let last = '';
  let at = 0;
  const line = (r: Run) => `${clean(r.id)} ${clean(r.status)}: ${done(r)}/${r.items_total} items (${r.items_succeeded} succeeded, ${r.items_failed} failed)`;
  const write = (r: Run, force: boolean) => {
    const l = line(r);
    if (l === last || (!force && Date.now() - at < LINE_MS)) return;
    process.stderr.write(`${l}\n`);
    last = l;
    at = Date.now();
  };
  write(first, true);
  return { update: (r, final) => write(r, final === true), stop: () => undefined };
}

/**
 * Follows `runId` until it is terminal and prints the final run (stdout).
 * @throws ExitCode(1) when the run ended other than `succeeded`.
 */
export async function watchRun(client: RunyardClient, runId: string, json: boolean): Promise<Run> {
  let run = await client.getRun(runId);
  const progress = json ? undefined : process.stderr.isTTY ? barProgress(run) : lineProgress(run);
  let refreshed = Date.now();
  let final: Run | undefined;
  try {
    for await (const msg of client.followEvents(runId)) {
      if (msg.type === 'end') {
        final = msg.run;
        break;
      }
      if (json) printJson(msg.event);
      else if (Date.now() - refreshed >= REFRESH_MS) {
        run = await client.getRun(runId);
        refreshed = Date.now();
        progress?.update(run);
      }
    }
    final ??= await client.getRun(runId);
    progress?.update(final, true);
  } finally {
    progress?.stop();
  }
  if (json) printJson(final);
  else printRun(final);
  if (final.status !== 'succeeded') throw new ExitCode(1);
  return final;
}
