/**
 * Credits: prices, per-item cost bounds, and the ledger's balance math. Pure; amounts are
 * integer micro-credits (1 credit = 1,000,000 µ). The reference products' model (seed 004):
 * reserve when a run starts, capture per succeeded item, release for failed, skipped and
 * canceled items, grant by plans and top-ups.
 */
import { ValidationError } from './errors.js';
import type { Usage } from './producer.js';

/** Micro-credits per credit. */
export const MICRO = 1_000_000;
/** Largest single amount accepted, µ (10^15 µ = 10^9 credits): far inside 2^53. */
export const MAX_AMOUNT = 1_000_000_000_000_000;

/** Ledger entry kinds. `adjust` carries a reason and may be negative. */
export const LedgerKind = { grant: 'grant', reserve: 'reserve', capture: 'capture', release: 'release', adjust: 'adjust' } as const;
export type LedgerKind = (typeof LedgerKind)[keyof typeof LedgerKind];

/**
 * Price table, µ per unit. Keys: `js_call`, `http_call`, `command_second`, `row`, and
 * `tokens:<model>:input` / `tokens:<model>:output` (per 1,000 tokens). A key not listed costs 0.
 */
export type PriceTable = Readonly<Record<string, number>>;

const PRICE_KEY = /^(js_call|http_call|command_second|row|tokens:[A-Za-z0-9._/-]{1,100}:(input|output))$/;

/**
 * Validates a price table (e.g. `RUNYARD_PRICES`).
 * @throws ValidationError naming `prices.<key>` for an unknown key or a price that is not a
 *   non-negative integer of micro-credits up to {@link MAX_AMOUNT}
 */
export function parsePriceTable(raw: unknown): PriceTable {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new ValidationError('prices: expected an object of price keys to micro-credits', { field: 'prices' });
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!PRICE_KEY.test(key)) {
      throw new ValidationError(`prices.${key}: unknown price key (use js_call, http_call, command_second, row, tokens:<model>:input|output)`, {
        field: `prices.${key}`,
      });
    }
    out[key] = checkAmount(value, `prices.${key}`, { allowZero: true });
  }
  return out;
}

/** Who set a price version: the API (`PUT /v1/prices`) or `RUNYARD_PRICES` at a node's start. */
export type PriceSource = 'api' | 'env';

/**
 * One immutable version of a workspace's prices. Versions count up from 1; a run records the
 * version current when it was created and is priced by it to the end, on every node.
 */
export interface PriceVersion {
  version: number;
  /** µ per unit, as {@link PriceTable}. */
  prices: PriceTable;
  source: PriceSource;
  /** Epoch ms. */
  created_at: number;
}

/** The canonical JSON of a price table (keys sorted): two equal tables give the same text. */
export function canonicalPrices(prices: PriceTable): string {
  return JSON.stringify(
    Object.fromEntries(
      Object.keys(prices)
        .sort()
        .map((k) => [k, prices[k]]),
    ),
  );
}

/**
 * Checks an amount of micro-credits: an integer, positive (or zero when allowed), at most
 * {@link MAX_AMOUNT}. @throws ValidationError naming `field`
 */
export function checkAmount(value: unknown, field: string, opts: { allowZero?: boolean; allowNegative?: boolean } = {}): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ValidationError(`${field}: expected a whole number of micro-credits`, { field });
  if (Math.abs(value) > MAX_AMOUNT) throw new ValidationError(`${field}: at most ${MAX_AMOUNT} micro-credits`, { field });
  if (value < 0 && !opts.allowNegative) throw new ValidationError(`${field}: must not be negative`, { field });
  if (value === 0 && !opts.allowZero) throw new ValidationError(`${field}: must not be zero`, { field });
  return value;
}

/** What the engine knows of a run's producer when it bounds an item's cost. */
export interface CostShape {
  producer: string;
  /** Item timeout, ms: a command cannot run longer. */
  item_timeout_ms: number;
  /** For `llm`: the model and the output token cap. */
  model?: string;
  max_output_tokens?: number;
  max_input_tokens?: number;
}

/** Output token cap of an `llm` item when its config sets none (`max_output_tokens`). */
export const LLM_DEFAULT_MAX_OUTPUT_TOKENS = 1024;
/** Input tokens an `llm` item is reserved for when its config sets no `max_input_tokens`. */
export const LLM_DEFAULT_MAX_INPUT_TOKENS = 8192;

/**
 * The cost shape of a run's spec: for `llm`, the model and token caps read from its config
 * (defaults {@link LLM_DEFAULT_MAX_OUTPUT_TOKENS}, {@link LLM_DEFAULT_MAX_INPUT_TOKENS});
 * for other producers, the producer and the item timeout.
 */
export function costShapeOf(spec: { producer: string; item_timeout_ms: number; config?: Record<string, unknown> }): CostShape {
  const shape: CostShape = { producer: spec.producer, item_timeout_ms: spec.item_timeout_ms };
  // A worker run's items are bounded by its LLM calls (worker_llm reads the same config fields).
  if (spec.producer !== 'llm' && spec.producer !== 'worker_llm') return shape;
  shape.producer = 'llm';
  const c = spec.config ?? {};
  const int = (v: unknown, dflt: number) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : dflt);
  if (typeof c.model === 'string') shape.model = c.model;
  shape.max_output_tokens = int(c.max_output_tokens, LLM_DEFAULT_MAX_OUTPUT_TOKENS);
  shape.max_input_tokens = int(c.max_input_tokens, LLM_DEFAULT_MAX_INPUT_TOKENS);
  return shape;
}

const perThousand = (tokens: number, price: number) => Math.ceil((tokens * price) / 1000);

/**
 * The most one item can cost, µ: reserved per item so that a capture never exceeds what was
 * reserved. `shell`: the whole timeout at `command_second`; `http`: one call; `js`: one call;
 * `llm`: the token caps at the model's prices.
 */
export function itemCostBound(prices: PriceTable, shape: CostShape): number {
  const price = (k: string) => (Object.hasOwn(prices, k) ? (prices[k] ?? 0) : 0);
  switch (shape.producer) {
    case 'shell':
      return Math.ceil((shape.item_timeout_ms * price('command_second')) / 1000);
    case 'http':
      return price('http_call');
    case 'js':
      return price('js_call');
    case 'llm':
      return (
        perThousand(shape.max_input_tokens ?? 0, price(`tokens:${shape.model ?? ''}:input`)) +
        perThousand(shape.max_output_tokens ?? 0, price(`tokens:${shape.model ?? ''}:output`))
      );
    default:
      return 0;
  }
}

/** The cost of one succeeded attempt from its reported usage, µ, capped at the item's bound. */
export function usageCost(prices: PriceTable, producer: string, usage: Usage | null, bound: number): number {
  const price = (k: string) => (Object.hasOwn(prices, k) ? (prices[k] ?? 0) : 0);
  let cost = 0;
  if (producer === 'js') cost += price('js_call');
  cost += (usage?.http_calls ?? (producer === 'http' ? 1 : 0)) * price('http_call');
  cost += Math.ceil(((usage?.command_ms ?? 0) * price('command_second')) / 1000);
  cost += (usage?.rows ?? 0) * price('row');
  if (usage?.model) {
    cost += perThousand(usage.input_tokens ?? 0, price(`tokens:${usage.model}:input`));
    cost += perThousand(usage.output_tokens ?? 0, price(`tokens:${usage.model}:output`));
  }
  return Math.min(cost, bound);
}

/** µ a run reserves when it starts: every pending item's bound, capped by the run's budget. */
export function startReservation(run: { item_cost_bound: number; items_pending: number; credit_cap: number | null }): number {
  if (run.item_cost_bound === 0) return 0;
  const all = run.item_cost_bound * run.items_pending;
  return run.credit_cap === null ? all : Math.min(all, run.credit_cap);
}

/**
 * µ to reserve for `count` items appended to a running run: each may cost the run's bound, and
 * a budget (`credit_cap`) caps what the run holds in all. Items the reservation does not cover
 * stay pending: claims take only what the run's outstanding reservation covers, and a run that
 * can take nothing more pauses with reason `budget`.
 */
export function appendReservation(run: { item_cost_bound: number; credit_cap: number | null; credits_reserved: number }, count: number): number {
  if (run.item_cost_bound === 0 || count <= 0) return 0;
  const all = run.item_cost_bound * count;
  return run.credit_cap === null ? all : Math.max(0, Math.min(all, run.credit_cap - run.credits_reserved));
}

/** One ledger entry as the balance math sees it. */
export interface LedgerMove {
  kind: LedgerKind;
  /** µ; positive, except `adjust` which may be negative. */
  amount: number;
}

/** A workspace's derived balances, µ. */
export interface Balance {
  granted: number;
  captured: number;
  /** Reserved and neither captured nor released yet. */
  outstanding: number;
  adjusted: number;
  /** `granted + adjusted − captured − outstanding`; never below zero. */
  available: number;
}

/** Zero balances. */
export function emptyBalance(): Balance {
  return { granted: 0, captured: 0, outstanding: 0, adjusted: 0, available: 0 };
}

/**
 * Applies one entry (pure). A capture or release consumes reservation: it moves amount out of
 * `outstanding` (a capture into `captured`, a release back into `available`).
 */
export function applyMove(b: Balance, m: LedgerMove): Balance {
  const n = { ...b };
  switch (m.kind) {
    case 'grant':
      n.granted += m.amount;
      break;
    case 'adjust':
      n.adjusted += m.amount;
      break;
    case 'reserve':
      n.outstanding += m.amount;
      break;
    case 'capture':
      n.outstanding -= m.amount;
      n.captured += m.amount;
      break;
    case 'release':
      n.outstanding -= m.amount;
      break;
  }
  n.available = n.granted + n.adjusted - n.captured - n.outstanding;
  return n;
}

/** Replays entries from zero. */
export function replay(moves: Iterable<LedgerMove>): Balance {
  let b = emptyBalance();
  for (const m of moves) b = applyMove(b, m);
  return b;
}

/** May a reservation of `amount` be taken from this balance? (Available never goes below zero.) */
export function canReserve(b: Balance, amount: number): boolean {
  return amount <= b.available;
}

/** Credits (decimal) from micro-credits, for display. */
export function toCredits(micro: number): number {
  return micro / MICRO;
}
