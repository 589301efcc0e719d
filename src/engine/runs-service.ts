/**
 * Creating runs. A column run has one item per row; each item's inputs are the column's
 * producer config rendered against its row, frozen at creation together with the run spec.
 */
import { createHash } from 'node:crypto';
import { IdempotencyConflictError, NotFoundError, RunyardError, ValidationError } from '../core/errors.js';
import type { Clock, IdSource } from '../core/ids.js';
import type { RunRecord, RunSpec, TriggerType } from '../core/model.js';
import { findProfile } from '../core/profile.js';
import { renderDeep } from '../core/template.js';
import type { Store } from '../store/port.js';
import type { Logger } from './logger.js';
import type { Notifier } from './notifier.js';
import { prepareManualRun, type ManualRunFields, type PreparedManualRun } from './run-overrides.js';
import type { SecretBox } from './secrets.js';

/**
 * Options of {@link RunsService.startColumnRun}. The manual-run fields (`prompt`, `session_id`,
 * `overrides`) apply to this run only; the column's saved definition never changes.
 */
export interface StartColumnRun extends ManualRunFields {
  /** Display name. @default "<table name> · <column name>" */
  name?: string;
  /** Workload profile override. @default the column's profile */
  profile?: string;
  trigger?: { type: TriggerType; actor?: string | null; source_id?: string | null };
  tags?: string[];
  /** At most 255 characters (Stripe's limit). */
  idempotency_key?: string;
}

export interface RunsDeps {
  store: Store;
  clock: Clock;
  ids: IdSource;
  notifier: Notifier;
  /** Seals per-run secrets; without it, requests with secrets are refused. */
  secrets?: SecretBox | undefined;
  logger?: Logger;
}

export class RunsService {
  constructor(private readonly deps: RunsDeps) {}

  /**
   * Starts a column run: validates, renders every row's inputs, and writes the run and its
   * items in one transaction before returning (the run is durable on return).
   * @returns the run and whether it was created (false: an idempotent replay).
   * @throws NotFoundError; RunyardError `template_error` naming the row; ValidationError;
   *   IdempotencyConflictError when the key was used with another request.
   */
  async startColumnRun(ws: string, tableId: string, columnRef: string, opts: StartColumnRun = {}): Promise<{ run: RunRecord; created: boolean }> {
    const { store, ids, clock } = this.deps;
    const table = await store.getTable(ws, tableId);
    if (!table) throw new NotFoundError('table', tableId);
    const column = await store.getColumn(ws, tableId, columnRef);
    if (!column) throw new NotFoundError('column', columnRef);
    const profileName = opts.profile ?? column.profile;
    const profile = findProfile(profileName);
    if (!profile) throw new ValidationError(`profile: unknown workload profile "${profileName}" (use small, standard or large)`, { field: 'profile' });
    const manual = prepareManualRun(opts, this.deps.secrets);
    const key = opts.idempotency_key;
    if (key !== undefined && (key.length === 0 || key.length > 255 || /[\r\n\0]/.test(key))) {
      throw new ValidationError('Idempotency-Key: expected 1 to 255 characters without line breaks', { field: 'Idempotency-Key' });
    }
    const requestHash = key === undefined ? null : this.requestHash(column.id, opts, manual);
    if (key !== undefined && requestHash !== null) {
      const existing = await this.replay(ws, key, requestHash);
      if (existing) return { run: existing, created: false };
    }
    const rows = await store.allRows(ws, tableId);
    const items = rows.map((row) => {
      try {
        return {
          id: ids.next('itm'),
          key: row.id,
          inputs: renderDeep(column.config, row.data, 'config') as Record<string, unknown>,
          status: 'pending' as const,
        };
      } catch (err) {
        if (err instanceof RunyardError) {
          throw new RunyardError('template_error', `row ${row.id} (#${row.ordinal + 1}): ${err.message}`, { ...err.details, row_id: row.id });
        }
        throw err;
      }
    });
    const spec: RunSpec = {
      producer: column.producer,
      config: column.config,
      table_id: table.id,
      column_id: column.id,
      concurrency: profile.concurrency,
      item_timeout_ms: profile.itemTimeoutMs,
      max_attempts: profile.retry.maxAttempts,
      retry_base_delay_ms: profile.retry.baseDelayMs,
      retry_max_delay_ms: profile.retry.maxDelayMs,
    };
    const now = clock.now();
    const result = await store.createRun(
      ws,
      {
        run: {
          id: ids.next('run'),
          workspace_id: ws,
          kind: 'column',
          target_id: column.id,
          target_version: column.version,
          name: opts.name ?? `${table.name} · ${column.name}`,
          status: 'queued',
          phase: null,
          mode: 'live',
          trigger: { type: opts.trigger?.type ?? 'api', actor: opts.trigger?.actor ?? null, source_id: opts.trigger?.source_id ?? null },
          profile: profile.name,
          prompt: manual.prompt,
          session_id: manual.session_id,
          items_total: items.length,
          credits_reserved: 0,
          credits_used: 0,
          result_summary: null,
          error: null,
          retry_of: null,
          idempotency_key: key ?? null,
          tags: opts.tags ?? [],
          spec,
          overrides_env: manual.overrides_env,
          created_at: now,
          started_at: null,
          finished_at: null,
        },
        items,
        request_hash: requestHash,
        sealed_secrets: manual.sealed_secrets,
      },
      now,
    );
    if (result.created) this.deps.notifier.workAvailable();
    // Names only: override values and secrets are never logged.
    if (result.created) this.deps.logger?.debug('run created', { run_id: result.run.id, env_names: manual.env_names, secret_names: manual.secret_names });
    return result;
  }

  /** @throws NotFoundError */
  async getRun(ws: string, runId: string): Promise<RunRecord> {
    const run = await this.deps.store.getRun(ws, runId);
    if (!run) throw new NotFoundError('run', runId);
    return run;
  }

  private async replay(ws: string, key: string, hash: string): Promise<RunRecord | undefined> {
    // The store enforces the key inside createRun's transaction; this early look only avoids
    // rendering every row for a replay.
    const run = await this.deps.store.findRunByIdempotencyKey(ws, key);
    if (!run) return undefined;
    if (run.request_hash !== hash) throw new IdempotencyConflictError(key);
    return run.run;
  }

  private requestHash(columnId: string, opts: StartColumnRun, manual: PreparedManualRun): string {
    // Overrides enter the hash as prepared: env sorted, secrets as a keyed fingerprint.
    const { idempotency_key: _k, overrides: _o, ...rest } = opts;
    return createHash('sha256')
      .update(JSON.stringify({ columnId, ...rest, ...(manual.hashPart ? { overrides: manual.hashPart } : {}) }))
      .digest('hex');
  }
}
