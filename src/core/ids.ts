/**
 * Ids and time come in through ports (STYLE.md §7): the core never reads the wall clock or a
 * random source itself.
 */
import { monotonicFactory } from 'ulid';

/** Id prefixes (DESIGN.md §3). */
export const IdPrefix = {
  run: 'run',
  item: 'itm',
  event: 'evt',
  table: 'tbl',
  row: 'row',
  comment: 'cmt',
  column: 'col',
  node: 'nod',
  lease: 'lse',
  workspace: 'wsp',
  ledger: 'led',
  operation: 'op',
  token: 'tok',
  audit: 'aud',
  ingestion: 'ing',
  flow: 'flw',
  wait: 'wai',
  worker: 'wkr',
  // triggers (issue 15): received events, rules, schedules, webhooks, refused deliveries
  triggerEvent: 'tev',
  rule: 'rul',
  schedule: 'sch',
  hook: 'hook',
  hookRejection: 'hrj',
} as const;
export type IdPrefix = (typeof IdPrefix)[keyof typeof IdPrefix];

/** Makes sortable, prefixed ids: `run_01J…`. */
export interface IdSource {
  next(prefix: IdPrefix): string;
}

/** Wall-clock time in epoch milliseconds. */
export interface Clock {
  now(): number;
}

/** A number in [0, 1). */
export interface RandomSource {
  next(): number;
}

/** ULID-based ids: lexically sortable by creation time, monotonic within one process. */
export function ulidIds(): IdSource {
  const ulid = monotonicFactory();
  return { next: (prefix) => `${prefix}_${ulid().toLowerCase()}` };
}

export const systemClock: Clock = { now: () => Date.now() };
export const systemRandom: RandomSource = { next: () => Math.random() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** The default workspace every row belongs to until workspaces and tokens arrive. */
export const DEFAULT_WORKSPACE_ID = 'wsp_default';
