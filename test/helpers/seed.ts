/**
 * Seeding runs straight through the store (no executor): a run whose items end with the given
 * outputs or errors, or one left queued; and a large finished run written with raw SQL for the
 * export memory test and benchmark.
 */
import Database from 'better-sqlite3';
import { ulidIds } from '../../src/core/ids.js';
import type { RunKind, RunRecord, TriggerType } from '../../src/core/model.js';
import type { Completion, NewRun, Store } from '../../src/store/port.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const ids = ulidIds();
const NODE = 'nod_seed';

/** One item of a seeded run: it succeeds with `outputs`, fails with `error`, or (neither) stays pending. */
export interface SeedItem {
  key: string;
  inputs?: Record<string, unknown> | null;
  outputs?: Record<string, unknown>;
  error?: { code: string; message: string };
}

export interface SeedRun {
  ws?: string;
  name?: string;
  kind?: RunKind;
  trigger?: TriggerType;
  items: SeedItem[];
  /** The time of every write. @default Date.now() */
  now?: number;
  /** Leave the run queued (nothing claimed or completed). */
  queued?: boolean;
}

/** A new run's input for `createRun`. */
export function newRunInput(ws: string, o: SeedRun): NewRun {
  return {
    run: {
      id: ids.next('run'),
      workspace_id: ws,
      kind: o.kind ?? 'column',
      target_id: 'col_seed',
      target_version: 1,
      name: o.name ?? 'seeded run',
      status: 'queued',
      phase: null,
      mode: 'live',
      trigger: { type: o.trigger ?? 'api', source_id: null, actor: 'seed' },
      profile: 'standard',
      prompt: null,
      session_id: null,
      items_total: o.items.length,
      credits_reserved: 0,
      credits_used: 0,
      result_summary: null,
      error: null,
      retry_of: null,
      idempotency_key: null,
      tags: ['seed'],
      spec: {
        producer: 'js',
        config: {},
        concurrency: Math.max(1, o.items.length),
        item_timeout_ms: 60_000,
        max_attempts: 1,
        retry_base_delay_ms: 1000,
        retry_max_delay_ms: 1000,
      },
      overrides_env: null,
      credit_cap: null,
      item_cost_bound: 0,
      price_version: null,
      created_at: o.now ?? Date.now(),
      started_at: null,
      finished_at: null,
    },
    items: o.items.map((it) => ({ id: ids.next('itm'), key: it.key, inputs: it.inputs === undefined ? { key: it.key } : it.inputs, status: 'pending' })),
    request_hash: null,
    sealed_secrets: null,
  };
}

/**
 * Creates a run and drives its items to the given outcomes (claims of other runs that come
 * along are released untouched). Returns the run as stored afterwards.
 */
export async function seedRun(store: Store, o: SeedRun): Promise<RunRecord> {
  const ws = o.ws ?? 'wsp_default';
  const now = o.now ?? Date.now();
  const { run } = await store.createRun(ws, newRunInput(ws, o), now);
  if (o.queued) return run;
  await store.startQueuedRuns(NODE, now, 1000);
  const claims = await store.claimItems(NODE, now, 600_000, 1_000_000);
  const completions: Completion[] = [];
  for (const c of claims) {
    const spec = c.run.id === run.id ? o.items[c.item.ordinal] : undefined;
    if (spec?.outputs) {
      const s = spec.outputs;
      completions.push({
        kind: 'succeeded',
        item_id: c.item.id,
        lease_token: c.lease_token,
        value: s,
        outputs: s,
        usage: null,
        provider: 'seed',
        credits_used: 1500,
        duration_ms: 12,
      });
    } else if (spec?.error) {
      completions.push({ kind: 'failed', item_id: c.item.id, lease_token: c.lease_token, error: { ...spec.error, retryable: false }, duration_ms: 7 });
    } else {
      completions.push({ kind: 'released', item_id: c.item.id, lease_token: c.lease_token });
    }
  }
  await store.completeItems(completions, now);
  const out = await store.getRun(ws, run.id);
  if (!out) throw new Error(`seeded run ${run.id} vanished`);
  return out;
}

/** Text that pads generated item inputs and outputs to a realistic size (162 characters). */
export const SEED_FILLER = 'lorem ipsum dolor sit amet '.repeat(6);

/** The stored `spec` (JSON text) of runs written straight into the database by seeders. */
export const SEED_SPEC = JSON.stringify({
  producer: 'js',
  config: {},
  concurrency: 32,
  item_timeout_ms: 60000,
  max_attempts: 3,
  retry_base_delay_ms: 1000,
  retry_max_delay_ms: 60000,
});

/**
 * A migrated SQLite database at `path` holding one `succeeded` run of `n` items, each with
 * ~200-character inputs and outputs, written with raw SQL in one transaction (about 1 s per
 * 200,000 items). @returns the run id.
 */
export async function seedLargeRun(path: string, n: number): Promise<string> {
  const store = SqliteStore.open({ path });
  await store.migrate();
  await store.close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const runId = ids.next('run');
  const t = Date.UTC(2026, 0, 1);
  const filler = SEED_FILLER;
  const spec = SEED_SPEC;
  db.transaction(() => {
    db.prepare(
      `INSERT INTO runs (id, workspace_id, kind, target_id, target_version, name, status, mode, trigger_type, profile, items_total, items_succeeded,
        credits_used, tags, spec, created_at, started_at, finished_at, updated_at, result_summary)
       VALUES (?, 'wsp_default', 'column', 'col_large', 1, ?, 'succeeded', 'live', 'api', 'large', ?, ?, ?, '[]', ?, ?, ?, ?, ?, ?)`,
    ).run(runId, `large run of ${n} items`, n, n, n * 1000, spec, t, t, t + n, t + n, `${n} succeeded`);
    const insert = db.prepare(
      `INSERT INTO items (id, workspace_id, run_id, ordinal, key, status, attempt_count, max_attempts, inputs, outputs, provider, credits_used,
        started_at, finished_at, duration_ms)
       VALUES (?, 'wsp_default', ?, ?, ?, 'succeeded', 1, 3, ?, ?, 'js', 1000, ?, ?, 5)`,
    );
    for (let i = 0; i < n; i++) {
      const key = `row_${String(i).padStart(8, '0')}`;
      insert.run(ids.next('itm'), runId, i, key, JSON.stringify({ n: i, text: filler }), JSON.stringify({ value: `${filler}${i}` }), t + i, t + i + 5);
    }
  })();
  db.close();
  return runId;
}
