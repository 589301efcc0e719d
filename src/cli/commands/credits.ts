/** `runyard credits balance|ledger|grant`, `runyard usage`, `runyard runs provider-summary RUN`. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { clientCommand, clientOf, intOption, oneOf, type ClientOptions } from '../common.js';
import { details, print, printJson, table, text } from '../output.js';

const MICRO = 1_000_000;
const credits = (micro: unknown) => `${(Number(micro) / MICRO).toLocaleString('en-US', { maximumFractionDigits: 6 })}`;

/** `--amount` in credits (up to 6 decimals) → whole micro-credits. */
function parseCredits(value: string): number {
  if (!/^\d{1,9}(\.\d{1,6})?$/.test(value.trim())) throw new InvalidArgumentError('expected a positive number of credits with at most 6 decimals, e.g. 12.5');
  const [whole = '0', frac = ''] = value.trim().split('.');
  const micro = Number(whole) * MICRO + Number(frac.padEnd(6, '0'));
  if (micro <= 0) throw new InvalidArgumentError('must be more than zero');
  return micro;
}

interface LedgerOptions extends ClientOptions {
  run?: string;
  kind?: string;
  limit?: number;
  cursor?: string;
}

/** Registers `credits`, `usage` and `runs provider-summary`. */
export function registerCredits(program: Command): void {
  const group = program.command('credits').description('the credit ledger and balance');
  clientCommand(group.command('balance').description('granted, captured, outstanding and available credits')).action(async (opts: ClientOptions) => {
    const b = await clientOf(opts).getBalance();
    if (opts.json) return printJson(b);
    print(
      details([
        ['available', credits(b.available_micro)],
        ['granted', credits(b.granted_micro)],
        ['captured', credits(b.captured_micro)],
        ['outstanding', credits(b.outstanding_micro)],
        ['adjusted', credits(b.adjusted_micro)],
      ]),
    );
  });

  clientCommand(
    group
      .command('ledger')
      .description('ledger entries, oldest first')
      .option('--run <id>', 'only this run')
      .option('--kind <k,…>', 'grant, reserve, capture, release, adjust')
      .option('--limit <n>', 'entries per page, 1 to 1000 (default 50)', intOption(1, 1000))
      .option('--cursor <cursor>', 'next_cursor of the previous page'),
  ).action(async (opts: LedgerOptions) => {
    const page = await clientOf(opts).listLedger({
      ...(opts.run ? { run_id: opts.run } : {}),
      ...(opts.kind ? { kind: opts.kind } : {}),
      ...(opts.limit ? { limit: opts.limit } : {}),
      ...(opts.cursor ? { cursor: opts.cursor } : {}),
    });
    if (opts.json) return printJson(page);
    print(
      table(
        ['seq', 'kind', 'credits', 'run', 'item', 'reason'],
        page.data.map((e) => [String(e.seq), text(e.kind), credits(e.amount_micro), text(e.run_id ?? '-'), text(e.item_id ?? '-'), text(e.reason ?? '', 40)]),
      ),
    );
  });

  clientCommand(
    group
      .command('grant')
      .description('grant credits to the workspace (runs waiting for credits start)')
      .requiredOption('--amount <credits>', 'credits to grant, e.g. 100 or 0.25', parseCredits)
      .option('--reason <text>', 'why (shown in the ledger)')
      .option('--idempotency-key <key>', 'a repeat with the same key grants nothing'),
  ).action(async (opts: ClientOptions & { amount: number; reason?: string; idempotencyKey?: string }) => {
    const b = await clientOf(opts).grantCredits(opts.amount, opts.reason, opts.idempotencyKey === undefined ? {} : { idempotencyKey: opts.idempotencyKey });
    if (opts.json) printJson(b);
    else print(`Granted ${credits(opts.amount)} credits; available: ${credits(b.available_micro)}.`);
  });

  clientCommand(
    program
      .command('usage')
      .description('runs, items, tokens and credits in a rolling window, by target and provider')
      .option('--window <w>', '1h, 24h (default), 7d or 30d', oneOf('window', ['1h', '24h', '7d', '30d'])),
  ).action(async (opts: ClientOptions & { window?: string }) => {
    const u = await clientOf(opts).getUsage(opts.window ?? '24h');
    if (opts.json) return printJson(u);
    print(
      details([
        ['window', `${text(u.window)} (since ${text(u.since)})`],
        ['runs', String(u.runs)],
        ['items', String(u.items)],
        ['tokens', `${String(u.input_tokens)} in, ${String(u.output_tokens)} out`],
        ['credits', credits(u.credits_used_micro)],
      ]),
    );
    for (const [group, label] of [
      ['by_provider', 'provider'],
      ['by_model', 'model'],
    ] as const) {
      const rows = Object.entries((u[group] ?? {}) as Record<string, { items: number; input_tokens: number; output_tokens: number; credits_used: number }>);
      if (rows.length)
        print(
          table(
            [label, 'items', 'tokens in', 'tokens out', 'credits'],
            rows.map(([p, v]) => [text(p), String(v.items), String(v.input_tokens), String(v.output_tokens), credits(v.credits_used)]),
          ),
        );
    }
  });

  const runs = program.commands.find((c) => c.name() === 'runs');
  if (!runs) throw new Error('register the runs command first');
  clientCommand(
    runs.command('provider-summary').description('per provider: calls, successes, failures, p50/p95 latency, credits').argument('<run>', 'run id'),
  ).action(async (id: string, opts: ClientOptions) => {
    const list = await clientOf(opts).providerSummary(id);
    if (opts.json) return printJson(list);
    print(
      table(
        ['provider', 'calls', 'ok', 'failed', 'p50', 'p95', 'credits'],
        list.data.map((p) => [
          text(p.provider),
          String(p.calls),
          String(p.successes),
          String(p.failures),
          `${String(p.p50_ms ?? '-')} ms`,
          `${String(p.p95_ms ?? '-')} ms`,
          credits(p.credits_used_micro),
        ]),
      ),
    );
  });
}
