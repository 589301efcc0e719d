/**
 * Tables and columns: importing data atomically and defining columns (a producer plus an input
 * template over row fields), validated before anything is written.
 */
import { NotFoundError, quoteInput, RunyardError, ValidationError } from '../core/errors.js';
import type { Clock, IdSource } from '../core/ids.js';
import type { ColumnRecord, TableRecord } from '../core/model.js';
import { DEFAULT_PROFILE } from '../core/profile.js';
import type { ProfileCatalog } from './profiles.js';
import { collectTemplateFields } from '../core/template.js';
import { credentialRefs } from '../core/credential-refs.js';
import type { Producer } from '../core/producer.js';
import type { Store } from '../store/port.js';
import type { ProducerLookup } from './executor.js';
import { parseTableData } from './table-import.js';
import { IMPORT_BATCH_ROWS, streamTable } from './table-stream.js';
import { invalidUtf8OffsetOf } from '../core/utf8.js';

/** How long an `importing` table may stay before it counts as left by a crashed node, ms (1 h). */
export const ABANDONED_IMPORT_MS = 60 * 60 * 1000;

/** Largest JSON array import, bytes (it is parsed whole; NDJSON streams). 64 MiB, as the JSON body route. */
export const MAX_WHOLE_JSON_BYTES = 64 * 1024 * 1024;

/** Above this many characters, CSV and NDJSON text given whole is parsed as a stream (1 Mi). */
export const STREAM_TEXT_CHARS = 1024 * 1024;

/** `bytes` in 64 KiB pieces. */
async function* slices(bytes: Buffer): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += 64 * 1024) yield bytes.subarray(i, i + 64 * 1024);
}

/** A table name, trimmed. @throws ValidationError naming `name` */
function checkTableName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 200) throw new ValidationError('name: expected 1 to 200 characters', { field: 'name' });
  return trimmed;
}

/** Accepted import formats. */
export type ImportFormat = 'csv' | 'json' | 'ndjson';

/** Input of {@link TablesService.addColumn}. */
export interface ColumnDefinition {
  name: string;
  producer: string;
  config: Record<string, unknown>;
  /** Workload profile name. @default 'standard' */
  profile?: string;
}

export interface TablesDeps {
  store: Store;
  clock: Clock;
  ids: IdSource;
  producers: ProducerLookup;
  profiles: ProfileCatalog;
}

export class TablesService {
  constructor(private readonly deps: TablesDeps) {}

  /**
   * Parses `text` and writes the table: up to {@link IMPORT_BATCH_ROWS} rows in one
   * transaction, more in batches (see {@link importTableStream}); all rows or none are visible.
   * CSV and NDJSON text over {@link STREAM_TEXT_CHARS} is parsed as a stream as well.
   * @throws RunyardError `import_failed` (naming the line or index) or `validation_failed`.
   */
  async importTable(ws: string, name: string, format: ImportFormat, text: string): Promise<TableRecord> {
    const trimmed = checkTableName(name);
    if (format !== 'json' && text.length > STREAM_TEXT_CHARS) {
      // A large CSV/NDJSON text is parsed as a stream too: rows in batches, the event loop free.
      const bytes = Buffer.from(text, 'utf8');
      return this.#batched(ws, trimmed, (onBatch) => streamTable(format, slices(bytes), onBatch));
    }
    const parsed = parseTableData(format, text);
    const { ids, clock, store } = this.deps;
    if (parsed.rows.length <= IMPORT_BATCH_ROWS) {
      return store.createTable(
        ws,
        { id: ids.next('tbl'), name: trimmed, fields: parsed.fields, rows: parsed.rows.map((data) => ({ id: ids.next('row'), data })) },
        clock.now(),
      );
    }
    return this.#batched(ws, trimmed, async (onBatch) => {
      for (let i = 0; i < parsed.rows.length; i += IMPORT_BATCH_ROWS) await onBatch(parsed.rows.slice(i, i + IMPORT_BATCH_ROWS));
      return { fields: parsed.fields, rows: parsed.rows.length };
    });
  }

  /**
   * Imports a table from a byte stream (the raw body of `POST /v1/tables/import`): CSV and
   * NDJSON are parsed as they arrive and written in batches of {@link IMPORT_BATCH_ROWS} rows,
   * each its own transaction, yielding to the event loop between batches, so memory stays at
   * one batch and other requests are served meanwhile. The table is invisible until its last
   * row is in; on any error it is deleted (all rows or none). JSON is read whole, then as
   * {@link importTable}.
   * @throws RunyardError `import_failed` (naming the line, index or byte offset) or `validation_failed`
   */
  async importTableStream(ws: string, name: string, format: ImportFormat, body: AsyncIterable<Uint8Array>): Promise<TableRecord> {
    const trimmed = checkTableName(name);
    if (format === 'json') {
      const parts: Buffer[] = [];
      let size = 0;
      for await (const chunk of body) {
        size += chunk.byteLength;
        if (size > MAX_WHOLE_JSON_BYTES) {
          throw new RunyardError('import_failed', `data: a JSON array is read whole, at most ${MAX_WHOLE_JSON_BYTES} bytes; send larger files as NDJSON`, {
            field: 'data',
          });
        }
        parts.push(Buffer.from(chunk));
      }
      const bytes = Buffer.concat(parts);
      const bad = invalidUtf8OffsetOf(bytes);
      if (bad >= 0) throw new RunyardError('import_failed', `data: not valid UTF-8 at byte offset ${bad}`, { field: 'data', offset: bad });
      return this.importTable(ws, trimmed, format, bytes.toString('utf8'));
    }
    return this.#batched(ws, trimmed, (onBatch) => streamTable(format, body, onBatch));
  }

  /** Writes an import in batches into an `importing` table, made visible at the end or deleted on error. */
  async #batched(
    ws: string,
    name: string,
    fill: (onBatch: (rows: Record<string, unknown>[]) => Promise<void>) => Promise<{ fields: string[]; rows: number }>,
  ): Promise<TableRecord> {
    const { ids, clock, store } = this.deps;
    await store.discardTableImports({ before: clock.now() - ABANDONED_IMPORT_MS });
    const id = ids.next('tbl');
    await store.beginTableImport(ws, { id, name }, clock.now());
    let ordinal = 0;
    try {
      const done = await fill(async (rows) => {
        await store.appendTableRows(
          ws,
          id,
          ordinal,
          rows.map((data) => ({ id: ids.next('row'), data })),
        );
        ordinal += rows.length;
        // Between batches, whatever else waits on this process runs (API requests, the executor).
        await new Promise((resolve) => setImmediate(resolve));
      });
      return await store.finishTableImport(ws, id, done.fields, done.rows);
    } catch (err) {
      await store.discardTableImports({ ws, tableId: id });
      throw err;
    }
  }

  /** @throws NotFoundError when the table does not exist in the workspace. */
  async getTable(ws: string, tableId: string): Promise<TableRecord> {
    const t = await this.deps.store.getTable(ws, tableId);
    if (!t) throw new NotFoundError('table', tableId);
    return t;
  }

  /**
   * Chooses the field that labels the table's rows in item lists and run cards (null: the
   * row's first non-empty text field, core/row-label.ts).
   * @throws NotFoundError (404) for an unknown table; ValidationError (422) naming
   *   `label_column` when it is not a field of the table
   */
  async setLabelColumn(ws: string, tableId: string, column: string | null): Promise<TableRecord> {
    const table = await this.getTable(ws, tableId);
    if (column !== null && !table.fields.includes(column)) {
      throw new ValidationError(
        `label_column: table ${tableId} has no field ${JSON.stringify(column)} (fields: ${table.fields.map((f) => JSON.stringify(f)).join(', ') || 'none'})`,
        { field: 'label_column' },
      );
    }
    const updated = await this.deps.store.setTableLabelColumn(ws, tableId, column);
    if (!updated) throw new NotFoundError('table', tableId);
    return updated;
  }

  /**
   * Validates and adds a column. Checks, in order: the name, the producer, the producer's
   * config shape, every template's syntax and that each field it names exists in the table,
   * that each saved credential it names exists in the workspace (and that placeholders stand
   * only where the producer fills them), and the profile.
   * @throws RunyardError `validation_failed` | `unknown_producer` | `conflict`; NotFoundError
   */
  async addColumn(ws: string, tableId: string, def: ColumnDefinition): Promise<ColumnRecord> {
    const table = await this.getTable(ws, tableId);
    const name = def.name.trim();
    if (name === '' || name.length > 100) throw new ValidationError('name: expected 1 to 100 characters', { field: 'name' });
    const producer = this.deps.producers.get(def.producer);
    producer.validate(def.config);
    for (const ref of collectTemplateFields(def.config, 'config')) {
      if (!table.fields.includes(ref.field)) {
        throw new ValidationError(
          `${ref.path}: the template names field "${ref.field}", which table ${table.id} does not have (fields: ${table.fields.join(', ')})`,
          {
            field: ref.path,
            missing: ref.field,
          },
        );
      }
    }
    await this.checkCredentials(ws, producer, def.config);
    const profile = this.deps.profiles.resolve(def.profile ?? DEFAULT_PROFILE).name;
    const now = this.deps.clock.now();
    return this.deps.store.createColumn(ws, {
      id: this.deps.ids.next('col'),
      workspace_id: ws,
      table_id: table.id,
      name,
      producer: def.producer,
      config: def.config,
      profile,
      version: 1,
      created_at: now,
      updated_at: now,
    });
  }

  /**
   * Every credential `config` names must exist in the workspace now (its value is revealed
   * only when an item runs). @throws ValidationError naming the field (`config.headers.authorization`)
   */
  private async checkCredentials(ws: string, producer: Producer, config: Record<string, unknown>): Promise<void> {
    const allowed = (producer.credentialFields ?? []).map((f) => `config.${f}`);
    for (const ref of credentialRefs(config)) {
      if (ref.via === 'placeholder' && !allowed.some((a) => ref.field === a || ref.field.startsWith(`${a}.`) || ref.field.startsWith(`${a}[`))) {
        const where = allowed.length > 0 ? `only in ${allowed.join(', ')}` : `nowhere in a ${producer.name} config`;
        throw new ValidationError(`${ref.field}: credential placeholders are filled ${where}`, { field: ref.field });
      }
      if ((await this.deps.store.access.getCredentialBox(ws, ref.name)) === undefined) {
        throw new ValidationError(
          `${ref.field}: credential ${quoteInput(ref.name)} does not exist in this workspace; save it first (PUT /v1/credentials/{name})`,
          {
            field: ref.field,
            credential: ref.name,
          },
        );
      }
    }
  }
}
