/**
 * `compareRuns` (issue 14): two runs side by side, of any kind. Loads both runs and their items
 * (at most 5,000 each), checks whether a worker run's subject row still exists, and applies the
 * pure comparisons of core/run-compare.ts. Worker runs also compare what their spec froze:
 * definition version, model, instructions (a line diff), context per source, tool calls
 * aligned by order and name, output.
 */
import { NotFoundError } from '../core/errors.js';
import type { ItemRecord, RunRecord } from '../core/model.js';
import { compareItems, lineDiff, pair, sideOf } from '../core/run-compare.js';
import { itemLabels } from './item-labels.js';
import { shortHash, type SnapshotSource, type WorkerRunConfig } from '../kinds/worker/index.js';
import type { Store } from '../store/port.js';

async function load(store: Store, ws: string, id: string): Promise<{ run: RunRecord; items: ItemRecord[] }> {
  const run = await store.getRun(ws, id);
  if (!run) throw new NotFoundError('run', id);
  const items: ItemRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listItems(ws, id, {}, { limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
    items.push(...page.data);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined && items.length < 5000);
  return { run, items };
}

const sourceView = (s: SnapshotSource | undefined) =>
  s ? { present: s.missing === undefined, type: s.type, chars: s.chars, hash: s.hash, truncated: s.truncated, rows: s.rows, missing: s.missing ?? null } : null;

function toolCalls(items: readonly ItemRecord[]) {
  return items
    .filter((i) => i.key.startsWith('tool:'))
    .map((i) => {
      const o = i.outputs ?? {};
      return {
        key: i.key,
        name: String(o.tool ?? (i.inputs?.tool as string | undefined) ?? ''),
        arguments: o.arguments ?? i.inputs?.input ?? null,
        decision: o.decision ?? null,
        output: o.result ?? o.error ?? o.reason ?? null,
      };
    });
}

function workerPart(store: Store, ws: string, a: { run: RunRecord; items: ItemRecord[] }, b: { run: RunRecord; items: ItemRecord[] }) {
  const ca = a.run.spec.config as unknown as WorkerRunConfig;
  const cb = b.run.spec.config as unknown as WorkerRunConfig;
  const subject = async (c: WorkerRunConfig) => {
    const row = await store.getRow(ws, c.subject.table_id, c.subject.row_id);
    const then = c.context.sources.find((s) => s.type === 'subject_record')?.record_version ?? null;
    return { ...c.subject, version_then: then, exists_now: row !== undefined, version_now: row ? shortHash(JSON.stringify(row.data)) : null };
  };
  const names = [...new Set([...ca.context.sources.map((s) => s.name), ...cb.context.sources.map((s) => s.name)])];
  const ta = toolCalls(a.items);
  const tb = toolCalls(b.items);
  const out = (items: readonly ItemRecord[]) => {
    const o = items.find((i) => i.key === 'output')?.outputs;
    return o ? { location: o.location ?? null, action: o.action ?? null, preview: String(o.text ?? '').slice(0, 280) } : null;
  };
  const oa = out(a.items);
  const ob = out(b.items);
  return Promise.all([subject(ca), subject(cb)]).then(([sa, sb]) => ({
    definition: {
      version: pair(ca.worker.version, cb.worker.version),
      model: pair(ca.definition.model.model, cb.definition.model.model),
      tool_categories: pair(ca.definition.tool_categories, cb.definition.tool_categories),
      instructions: {
        ...pair(shortHash(ca.definition.instructions), shortHash(cb.definition.instructions)),
        diff: lineDiff(ca.definition.instructions, cb.definition.instructions),
      },
    },
    subject: pair(sa, sb),
    context: names.map((name) => {
      const x = ca.context.sources.find((s) => s.name === name);
      const y = cb.context.sources.find((s) => s.name === name);
      const va = sourceView(x);
      const vb = sourceView(y);
      return {
        name,
        a: va ?? { present: false, missing: 'not a source of this run' },
        b: vb ?? { present: false, missing: 'not a source of this run' },
        same: x !== undefined && y !== undefined && x.hash === y.hash,
        diff: x && y && x.hash !== y.hash ? lineDiff(x.content, y.content).filter((l) => l.op !== ' ') : [],
      };
    }),
    tool_calls: Array.from({ length: Math.max(ta.length, tb.length) }, (_, i) => ({
      index: i + 1,
      a: ta[i] ?? null,
      b: tb[i] ?? null,
      same_name: ta[i]?.name === tb[i]?.name,
      same_arguments: JSON.stringify(ta[i]?.arguments) === JSON.stringify(tb[i]?.arguments),
    })),
    output: { ...pair(oa, ob), preview_diff: oa && ob ? lineDiff(oa.preview, ob.preview) : [] },
  }));
}

/** The differing items with the label of the record each stands for (engine/item-labels.ts), from run `a`'s item, else `b`'s. */
async function labelled(
  store: Store,
  a: { run: RunRecord; items: ItemRecord[] },
  b: { run: RunRecord; items: ItemRecord[] },
  differing: ReturnType<typeof compareItems>['differing'],
) {
  const keys = new Set(differing.map((d) => d.key));
  const [la, lb] = await Promise.all(
    [a, b].map(async (side) => {
      const items = side.items.filter((i) => keys.has(i.key));
      const byId = await itemLabels(store, side.run, items);
      return new Map(items.map((i) => [i.key, byId.get(i.id) ?? null]));
    }),
  );
  return differing.map((d) => ({ key: d.key, label: la?.get(d.key) ?? lb?.get(d.key) ?? null, a: d.a, b: d.b }));
}

/**
 * Compares runs `a` and `b` of the workspace.
 * @throws NotFoundError naming the run that does not exist
 */
export async function compareRuns(store: Store, ws: string, aId: string, bId: string) {
  const [a, b] = await Promise.all([load(store, ws, aId), load(store, ws, bId)]);
  const sa = sideOf(a.run, a.items);
  const sb = sideOf(b.run, b.items);
  const items = compareItems(a.items, b.items);
  const base = {
    a: sa,
    b: sb,
    same_target: a.run.kind === b.run.kind && a.run.target_id === b.run.target_id,
    status: pair(sa.status, sb.status),
    duration_ms: pair(sa.duration_ms, sb.duration_ms),
    tokens: pair(sa.tokens, sb.tokens),
    credits_used: pair(sa.credits_used, sb.credits_used),
    error: pair(sa.error, sb.error),
    items: { ...items, differing: await labelled(store, a, b, items.differing) },
  };
  if (a.run.kind !== 'worker' || b.run.kind !== 'worker') return { ...base, worker: null };
  return { ...base, worker: await workerPart(store, ws, a, b) };
}
