/**
 * Rendering and following bulk operations: a progress bar on a TTY stderr (a line about once a
 * second otherwise) while an operation runs, then the final operation. Exit code 0 only when
 * it succeeded and no run refused the action.
 */
import cliProgress from 'cli-progress';
import type { Operation, Page, RunyardClient } from '../sdk/client.js';
import { ExitCode } from './common.js';
import { clean, details, nextPage, print, printJson, status, table, text, time } from './output.js';

const POLL_MS = 500;
const LINE_MS = 1000;

/** One operation's details. */
export function printOperation(op: Operation): void {
  const pairs: [string, string][] = [
    ['id', text(op.id)],
    ['action', text(op.action)],
    ['status', status(op.status)],
    ['filter', text(op.filter, 200)],
    ['progress', `${op.succeeded + op.failed}/${op.total} runs: ${op.succeeded} succeeded, ${op.failed} refused`],
  ];
  if (op.error) pairs.push(['error', text(op.error, 300)]);
  pairs.push(['created', time(op.created_at)], ['finished', time(op.finished_at)]);
  print(details(pairs));
}

/** A page of operations. */
export function printOperations(page: Page<Operation>): void {
  if (page.data.length === 0) return print('No operations.');
  print(
    table(
      ['id', 'action', 'status', 'done/total', 'refused', 'created', 'finished'],
      page.data.map((o) => [
        text(o.id),
        text(o.action),
        status(o.status),
        `${o.succeeded + o.failed}/${o.total}`,
        String(o.failed),
        time(o.created_at),
        time(o.finished_at),
      ]),
    ),
  );
  nextPage(page.next_cursor);
}

interface Progress {
  update(op: Operation): void;
  stop(): void;
}

function bar(first: Operation): Progress {
  const b = new cliProgress.SingleBar(
    { stream: process.stderr, format: '{bar} {percentage}% | {value}/{total} runs | {refused} refused | {status}', hideCursor: false },
    cliProgress.Presets.shades_classic,
  );
  const payload = (o: Operation) => ({ refused: o.failed, status: clean(o.status) });
  b.start(Math.max(first.total, 1), first.succeeded + first.failed, payload(first));
  return {
    update: (o) => {
      b.setTotal(Math.max(o.total, 1));
      b.update(o.succeeded + o.failed, payload(o));
    },
    stop: () => b.stop(),
  };
}

function lines(): Progress {
  let last = '';
  let at = 0;
  return {
    update: (o) => {
      const l = `${clean(o.id)} ${clean(o.action)} ${clean(o.status)}: ${o.succeeded + o.failed}/${o.total} runs (${o.failed} refused)`;
      if (l === last || (o.status === 'running' && Date.now() - at < LINE_MS)) return;
      process.stderr.write(`${l}\n`);
      last = l;
      at = Date.now();
    },
    stop: () => undefined,
  };
}

/**
 * Polls an operation until it finishes, showing progress on stderr (not with `json`), then
 * prints it (stdout).
 * @throws ExitCode(1) unless it succeeded with no refused run.
 */
export async function followOperation(client: RunyardClient, first: Operation, json: boolean): Promise<Operation> {
  let op = first;
  const progress = json ? undefined : process.stderr.isTTY ? bar(op) : lines();
  try {
    progress?.update(op);
    while (op.status === 'running') {
      await new Promise((r) => setTimeout(r, POLL_MS));
      op = await client.getOperation(op.id);
      progress?.update(op);
    }
  } finally {
    progress?.stop();
  }
  if (json) printJson(op);
  else printOperation(op);
  if (op.status !== 'succeeded' || op.failed > 0) throw new ExitCode(1);
  return op;
}
