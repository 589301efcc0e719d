/**
 * CEL (sandboxed expressions, never JavaScript), compiled once per source: flows evaluate it
 * over `{input, vars, steps, responses, item, index, output}`, an ingestion source's
 * `stop_when` over a fetched page (core/ingestion.ts). Pure. JSON integers enter CEL as
 * `int` (so `input.n + 1` type-checks) and CEL ints leave as JS numbers.
 */
import { parse } from '@marcbachmann/cel-js';

type Compiled = ReturnType<typeof parse>;
const cache = new Map<string, Compiled>();

/** A CEL expression that did not compile or failed to evaluate; `message` names the expression. */
export class ExpressionError extends Error {
  constructor(
    readonly expression: string,
    readonly reason: string,
  ) {
    super(`expression ${JSON.stringify(expression)}: ${reason}`);
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] ?? 'error';
}

/** Compiles `source` (cached). @throws ExpressionError when it does not parse */
export function compile(source: string): Compiled {
  let fn = cache.get(source);
  if (!fn) {
    try {
      fn = parse(source);
    } catch (err) {
      throw new ExpressionError(source, firstLine(err));
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(source, fn);
  }
  return fn;
}

/** JSON → CEL values: integers become bigint (CEL `int`). */
export function toCel(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toCel);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toCel(x);
    return out;
  }
  return v;
}

/** CEL → JSON values: bigint becomes number, maps become objects. */
export function fromCel(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(fromCel);
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v) out[String(k)] = fromCel(x);
    return out;
  }
  if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = fromCel(x);
    return out;
  }
  return v;
}

/**
 * Evaluates `source` over `ctx` (JSON values) and returns a JSON value.
 * @throws ExpressionError naming the expression
 */
export function evaluate(source: string, ctx: Record<string, unknown>): unknown {
  const fn = compile(source);
  try {
    return fromCel(fn(toCel(ctx) as Record<string, unknown>));
  } catch (err) {
    throw new ExpressionError(source, firstLine(err));
  }
}

/** Evaluates a condition. @throws ExpressionError when it fails or is not a bool */
export function test(source: string, ctx: Record<string, unknown>): boolean {
  const v = evaluate(source, ctx);
  if (typeof v !== 'boolean') throw new ExpressionError(source, `expected a bool, got ${v === null ? 'null' : typeof v}`);
  return v;
}
