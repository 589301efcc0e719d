/**
 * `runyard prices get [VERSION]` and `runyard prices set KEY=MICRO… | --file prices.json [--merge]`:
 * the workspace's prices (µ per unit), kept as versions in the database. A run is priced by the
 * version current when it was created, on every node.
 */
import type { Command } from 'commander';
import type { PriceVersion } from '../../sdk/types.js';
import { clientCommand, clientOf, intOption, parseJsonArg, readTextFile, UsageError, type ClientOptions } from '../common.js';
import { details, print, printJson, table, text, time } from '../output.js';

const MICRO = 1_000_000;

/** `KEY=MICRO` arguments → a price table; the server validates keys and amounts. */
function parsePairs(pairs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pair of pairs) {
    const m = /^([^=\s]+)=(-?\d+)$/.exec(pair.trim());
    if (!m) throw new UsageError(`${JSON.stringify(pair)}: expected KEY=MICRO_CREDITS, e.g. js_call=1000`);
    out[m[1] as string] = Number(m[2]);
  }
  return out;
}

function show(v: PriceVersion): void {
  if (v.version === null) {
    print('No prices set: every run is free. Set some with `runyard prices set js_call=1000 …`.');
    return;
  }
  print(
    details([
      ['version', String(v.version)],
      ['set by', v.source === 'env' ? 'RUNYARD_PRICES at start' : 'the API'],
      ['since', time(v.created_at)],
    ]),
  );
  const rows = Object.entries(v.prices).sort(([a], [b]) => a.localeCompare(b));
  if (rows.length === 0) print('(an empty table: every run is free)');
  else
    print(
      table(
        ['key', 'micro-credits', 'credits'],
        rows.map(([k, n]) => [text(k), String(n), String(n / MICRO)]),
      ),
    );
}

/** Registers `prices get|set`. */
export function registerPrices(program: Command): void {
  const group = program.command('prices').description('the prices runs are charged by (versioned; a run keeps the version it started with)');

  clientCommand(
    group
      .command('get')
      .description('the current prices, or one version')
      .argument('[version]', 'a version number (default: the current one)', intOption(1, 999_999_999)),
  ).action(async (version: number | undefined, opts: ClientOptions) => {
    const v = await clientOf(opts).getPrices(version);
    if (opts.json) return printJson(v);
    show(v);
  });

  clientCommand(
    group
      .command('set')
      .description('set the prices (micro-credits per unit) for runs created from now on; keys not given cost 0 unless --merge')
      .argument('[pairs...]', 'KEY=MICRO_CREDITS, e.g. js_call=1000 command_second=50 tokens:gpt-4o:input=2500')
      .option('--file <path>', 'a JSON object of price keys to micro-credits')
      .option('--merge', 'keep the current prices of keys not given'),
  ).action(async (pairs: string[], opts: ClientOptions & { file?: string; merge?: boolean }) => {
    if (pairs.length > 0 && opts.file !== undefined) throw new UsageError('give KEY=MICRO pairs or --file, not both');
    let prices: Record<string, number>;
    if (opts.file !== undefined) {
      const raw = parseJsonArg(await readTextFile(opts.file, 'prices file'), `--file ${opts.file}`);
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw new UsageError(`--file ${opts.file}: expected a JSON object of price keys to micro-credits`);
      prices = raw as Record<string, number>;
    } else if (pairs.length > 0) prices = parsePairs(pairs);
    else throw new UsageError('give KEY=MICRO pairs (e.g. js_call=1000) or --file prices.json');
    const client = clientOf(opts);
    if (opts.merge) prices = { ...(await client.getPrices()).prices, ...prices };
    const v = await client.setPrices(prices);
    if (opts.json) return printJson(v);
    print(v.changed === false ? `Unchanged: the prices equal version ${String(v.version)}.` : `Prices are now version ${String(v.version)}.`);
    show(v);
  });
}
