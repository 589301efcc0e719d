/** Readable (non-`--json`) rendering of each API resource. */
import type { Cell, Column, EngineNode, Item, List, Page, Row, Run, Table } from '../sdk/client.js';
import { details, duration, nextPage, print, status, table, text, time } from './output.js';

const ROW_FIELDS_SHOWN = 6;

/** One table's details. */
export function printTable(t: Table): void {
  print(
    details([
      ['id', text(t.id)],
      ['name', text(t.name)],
      ['fields', text(t.fields.join(', '), 200)],
      ['row_count', String(t.row_count)],
      ['created_at', time(t.created_at)],
    ]),
  );
}

/** A list of tables. */
export function printTables(list: List<Table>): void {
  if (list.data.length === 0) return print('No tables. Import one with `runyard tables import FILE`.');
  print(
    table(
      ['id', 'name', 'rows', 'fields', 'created'],
      list.data.map((t) => [text(t.id), text(t.name, 40), String(t.row_count), String(t.fields.length), time(t.created_at)]),
    ),
  );
}

/** A page of rows: id, ordinal and the first few fields. */
export function printRows(page: Page<Row>): void {
  const fields = [...new Set(page.data.flatMap((r) => Object.keys(r.data)))];
  const shown = fields.slice(0, ROW_FIELDS_SHOWN);
  print(
    table(
      ['id', '#', ...shown.map((f) => text(f, 20))],
      page.data.map((r) => [text(r.id), String(r.ordinal), ...shown.map((f) => text(r.data[f], 24))]),
    ),
  );
  if (fields.length > shown.length) print(`(${fields.length - shown.length} more fields not shown; use --json for all)`);
  nextPage(page.next_cursor);
}

/** One column's details. */
export function printColumn(c: Column): void {
  print(
    details([
      ['id', text(c.id)],
      ['table_id', text(c.table_id)],
      ['name', text(c.name)],
      ['producer', text(c.producer)],
      ['profile', text(c.profile)],
      ['version', String(c.version)],
      ['config', text(c.config, 200)],
      ['created_at', time(c.created_at)],
    ]),
  );
}

/** A table's columns. */
export function printColumns(list: List<Column>): void {
  if (list.data.length === 0) return print('No columns. Add one with `runyard columns add TABLE --file DEF.json`.');
  print(
    table(
      ['id', 'name', 'producer', 'profile', 'version', 'created'],
      list.data.map((c) => [text(c.id), text(c.name, 40), text(c.producer), text(c.profile), String(c.version), time(c.created_at)]),
    ),
  );
}

const counts = (r: Run) => `${r.items_succeeded}/${r.items_failed}/${r.items_total}`;

/** One run's details. */
export function printRun(r: Run): void {
  const pairs: [string, string][] = [
    ['id', text(r.id)],
    ['name', text(r.name, 120)],
    ['kind', text(r.kind)],
    ['status', status(r.status) + (r.phase ? ` (${text(r.phase)})` : '')],
    ['mode', text(r.mode)],
    ['trigger', text(r.trigger.type) + (r.trigger.actor ? ` by ${text(r.trigger.actor)}` : '')],
    ['profile', text(r.profile)],
    ...overrideLines(r),
    [
      'items',
      `${r.items_total} total: ${r.items_succeeded} succeeded, ${r.items_failed} failed, ${r.items_pending} pending, ${r.items_running} running, ${r.items_skipped} skipped, ${r.items_canceled} canceled`,
    ],
    ['credits', `${r.credits_used} used of ${r.credits_reserved} reserved`],
  ];
  if (r.error) pairs.push(['error', `${text(r.error.code)}: ${text(r.error.message, 200)}`]);
  if (r.waiting_reason) pairs.push(['waiting', `${text(r.waiting_reason.code)}: ${text(r.waiting_reason.message, 200)}`]);
  if (r.result_summary) pairs.push(['summary', text(r.result_summary, 200)]);
  pairs.push(
    ['created', time(r.created_at)],
    ['started', time(r.started_at)],
    ['finished', time(r.finished_at)],
    ['duration', duration(r.duration_ms)],
    ['web_url', text(r.web_url, 200)],
  );
  print(details(pairs));
}

/** Engine nodes. */
export function printNodes(list: List<EngineNode>): void {
  if (list.data.length === 0) return print('No nodes have registered yet: start one with `runyard up` or `runyard worker`.');
  print(
    table(
      ['id', 'host', 'pid', 'alive', 'in flight', 'capacity', 'heartbeat'],
      list.data.map((n) => [
        text(n.id),
        text(n.hostname),
        String(n.pid),
        n.alive ? 'yes' : 'no',
        String(n.in_flight),
        String(n.capacity),
        time(n.heartbeat_at),
      ]),
    ),
  );
}

/** Prompt, session and overrides of a run, when set; secrets by name only. */
function overrideLines(r: Run): [string, string][] {
  const lines: [string, string][] = [];
  if (r.prompt) lines.push(['prompt', text(r.prompt, 200)]);
  if (r.session_id) lines.push(['session', text(r.session_id)]);
  const env = Object.entries(r.overrides.env);
  if (env.length > 0) lines.push(['env', text(env.map(([k, v]) => `${k}=${v}`).join(' '), 200)]);
  if (r.overrides.secret_names.length > 0) lines.push(['secrets', `${text(r.overrides.secret_names.join(', '), 200)} (values hidden)`]);
  return lines;
}

/** A page of runs. */
export function printRuns(page: Page<Run>): void {
  if (page.data.length === 0) return print('No runs.');
  print(
    table(
      ['id', 'name', 'kind', 'status', 'mode', 'trigger', 'ok/failed/total', 'started', 'duration'],
      page.data.map((r) => [
        text(r.id),
        text(r.name, 40),
        text(r.kind),
        status(r.status),
        text(r.mode),
        text(r.trigger.type),
        counts(r),
        time(r.started_at),
        duration(r.duration_ms),
      ]),
    ),
  );
  nextPage(page.next_cursor);
}

/** A page of items. */
export function printItems(page: Page<Item>): void {
  if (page.data.length === 0) return print('No items.');
  print(
    table(
      ['#', 'id', 'key', 'record', 'status', 'attempts', 'error', 'duration'],
      page.data.map((i) => [
        String(i.ordinal),
        text(i.id),
        text(i.key),
        text(i.label, 40),
        status(i.status),
        `${i.attempt_count}/${i.max_attempts}${i.lease_lost_count > 0 ? ` (+${i.lease_lost_count} lease lost)` : ''}`,
        i.error ? `${text(i.error.code)}: ${text(i.error.message, 60)}` : '-',
        duration(i.duration_ms),
      ]),
    ),
  );
  nextPage(page.next_cursor);
}

/** A cell with its provenance. */
export function printCell(c: Cell): void {
  print(
    details([
      ['table / row', `${text(c.table_id)} / ${text(c.row_id)}`],
      ['column', `${text(c.column_name)} (${text(c.column_id)})`],
      ['status', status(c.status)],
      ['value', text(c.value, 200)],
      ['inputs', text(c.inputs, 200)],
      ['error', c.error ? `${text(c.error.code)}: ${text(c.error.message, 200)}${c.error.retryable ? ' (retryable)' : ''}` : '-'],
      ['attempts', c.lease_losses > 0 ? `${c.attempts} (and ${c.lease_losses} leases lost by a live node, not counted)` : String(c.attempts)],
      ['run', text(c.run_id)],
      ['item', text(c.item_id)],
      ['updated_at', time(c.updated_at)],
    ]),
  );
}
