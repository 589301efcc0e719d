/**
 * Tables and columns: importing data atomically and defining columns (a producer plus an input
 * template over row fields), validated before anything is written.
 */
import { NotFoundError, quoteInput, ValidationError } from '../core/errors.js';
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
   * Parses `text` and writes the table with every row in one transaction.
   * @throws RunyardError `import_failed` (naming the line or index) or `validation_failed`.
   */
  async importTable(ws: string, name: string, format: ImportFormat, text: string): Promise<TableRecord> {
    const trimmed = name.trim();
    if (trimmed === '' || trimmed.length > 200) throw new ValidationError('name: expected 1 to 200 characters', { field: 'name' });
    const parsed = parseTableData(format, text);
    const { ids, clock, store } = this.deps;
    return store.createTable(
      ws,
      { id: ids.next('tbl'), name: trimmed, fields: parsed.fields, rows: parsed.rows.map((data) => ({ id: ids.next('row'), data })) },
      clock.now(),
    );
  }

  /** @throws NotFoundError when the table does not exist in the workspace. */
  async getTable(ws: string, tableId: string): Promise<TableRecord> {
    const t = await this.deps.store.getTable(ws, tableId);
    if (!t) throw new NotFoundError('table', tableId);
    return t;
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
