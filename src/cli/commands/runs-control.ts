/**
 * `runyard runs cancel|pause|resume|retry-failed|rerun`, `runyard nodes list` and
 * `runyard observability events [--run ID] [--follow]`. `retry-failed` and `rerun` of a worker
 * run first print what they will do to the output its worker left (`output: …`); with `--json`
 * it is the `output_notice` field (null for other kinds).
 */
import type { Command } from 'commander';
import { clientCommand, clientOf, intOption, type ClientOptions } from '../common.js';
import type { OutputNotice, RunyardClient } from '../../sdk/client.js';
import { print, printJson } from '../output.js';
import { printNodes, printRun } from '../render.js';

interface RerunOptions extends ClientOptions {
  current?: boolean;
  idempotencyKey?: string;
}

interface EventsOptions extends ClientOptions {
  run?: string;
  follow?: boolean;
  after?: number;
  limit?: number;
}

/**
 * Prints `output: <message>` for a worker run (what a rerun or retry does to the output its
 * worker left), nothing for other kinds; returns the notice (null for other kinds).
 */
async function printNotice(client: RunyardClient, runId: string): Promise<OutputNotice | null> {
  const { output_notice: notice } = await client.outputNotice(runId);
  if (notice) print(`output: ${notice.message}`);
  return notice;
}

/** Registers the control subcommands on `runs`, plus `nodes` and `observability`. */
export function registerRunControl(program: Command): void {
  const runs = program.commands.find((c) => c.name() === 'runs');
  if (!runs) throw new Error('register the runs command first');
  const simple = [
    ['cancel', 'cancel a run: unfinished items become canceled, in-flight producers are aborted', 'cancelRun'],
    ['pause', 'pause a run: no new item is claimed, in-flight items finish', 'pauseRun'],
    ['resume', 'resume a paused run', 'resumeRun'],
  ] as const;
  for (const [name, description, method] of simple) {
    clientCommand(runs.command(name).description(description).argument('<run>', 'run id')).action(async (id: string, opts: ClientOptions) => {
      const run = await clientOf(opts)[method](id);
      if (opts.json) printJson(run);
      else printRun(run);
    });
  }

  clientCommand(
    runs
      .command('retry-failed')
      .description('re-execute only the failed items of a run (for a worker run, first says what happens to its output)')
      .argument('<run>', 'run id'),
  ).action(async (id: string, opts: ClientOptions) => {
    const client = clientOf(opts);
    if (!opts.json) await printNotice(client, id);
    const res = await client.retryFailed(id);
    if (opts.json) printJson({ ...res, output_notice: res.output_notice ?? null });
    else {
      print(`Retrying ${res.retried} failed item(s).`);
      printRun(res.run);
    }
  });

  clientCommand(
    runs
      .command('rerun')
      .description('start a new run of the same target (retry_of set), with the same inputs')
      .argument('<run>', 'run id')
      .option('--current', 'use the current definition and rows instead of the version the run used')
      .option('--idempotency-key <key>', 'a repeated call with the same key answers the same run'),
  ).action(async (id: string, opts: RerunOptions) => {
    const client = clientOf(opts);
    // Told before the new run starts: what it will do to the output the worker left.
    const notice = opts.json ? (await client.outputNotice(id)).output_notice : await printNotice(client, id);
    const run = await client.rerun(id, opts.current ? 'current' : 'version', opts.idempotencyKey === undefined ? {} : { idempotencyKey: opts.idempotencyKey });
    if (opts.json) printJson({ ...run, output_notice: notice });
    else printRun(run);
  });

  const nodes = program.command('nodes').description('engine nodes');
  clientCommand(nodes.command('list').description('registered nodes: liveness, capacity, items in flight')).action(async (opts: ClientOptions) => {
    const list = await clientOf(opts).listNodes();
    if (opts.json) printJson(list);
    else printNodes(list);
  });

  const observability = program.command('observability').description('events across runs');
  clientCommand(
    observability
      .command('events')
      .description('events of the workspace (or one run), oldest first; --follow streams them live')
      .option('--run <id>', 'only this run')
      .option('--follow', 'keep streaming new events (Ctrl-C to stop; a run stream ends with the run)')
      .option('--after <seq>', 'only events after this seq', intOption(0, Number.MAX_SAFE_INTEGER))
      .option('--limit <n>', 'events to list without --follow, 1 to 1000 (default 100)', intOption(1, 1000)),
  ).action(async (opts: EventsOptions) => {
    const client = clientOf(opts);
    const line = (e: { seq: number; created_at: string; type: string; run_id: string; item_id: string | null }) =>
      opts.json ? printJson(e) : print(`${e.seq}\t${e.created_at}\t${e.type}\t${e.run_id}${e.item_id ? `\t${e.item_id}` : ''}`);
    if (!opts.follow) {
      const list = await client.listWorkspaceEvents({
        ...(opts.run ? { runId: opts.run } : {}),
        ...(opts.after ? { after: opts.after } : {}),
        ...(opts.limit ? { limit: opts.limit } : {}),
      });
      for (const e of list.data) line(e);
      return;
    }
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    try {
      for await (const msg of client.followEvents(opts.run ?? null, { after: opts.after ?? 0, signal: controller.signal })) {
        if (msg.type === 'event') line(msg.event);
        else if (opts.json) printJson({ end: msg.run });
      }
    } catch (err) {
      if (!controller.signal.aborted) throw err;
    }
  });
}
