/**
 * `runyard items respond <run> <item> --answer '<json>' [--json]`: answers an item that waits
 * for one (`POST /v1/runs/{run_id}/items/{item_id}/respond`). The answer must be a JSON object;
 * it becomes the item's outputs and the run goes on. Exits non-zero with `item_not_waiting`
 * when the item is not waiting (already answered) or its run is finished.
 */
import type { Command } from 'commander';
import { clientCommand, clientOf, parseJsonArg, UsageError, type ClientOptions } from '../common.js';
import { print, printJson } from '../output.js';
import { printRun } from '../render.js';

interface RespondOptions extends ClientOptions {
  answer: string;
}

/** Parses `--answer`: a JSON object. @throws UsageError naming `--answer` */
export function parseAnswer(text: string): Record<string, unknown> {
  const v = parseJsonArg(text, '--answer');
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError('--answer: expected a JSON object, e.g. \'{"approved": true}\'');
  return v as Record<string, unknown>;
}

/** Registers `items respond`. */
export function registerItems(program: Command): void {
  const items = program.command('items').description('items of a run (list them with `runs items <run>`)');
  clientCommand(
    items
      .command('respond')
      .description('answer an item waiting for input: it succeeds with the answer as its outputs and its run goes on')
      .argument('<run>', 'run id')
      .argument('<item>', 'item id')
      .requiredOption('--answer <json>', 'the answer, a JSON object'),
  ).action(async (runId: string, itemId: string, opts: RespondOptions) => {
    const res = await clientOf(opts).respondToItem(runId, itemId, parseAnswer(opts.answer));
    if (opts.json) printJson(res);
    else {
      print(`Answered item ${res.item.id} (${res.item.key}).`);
      printRun(res.run);
    }
  });
}
