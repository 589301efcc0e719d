/**
 * The `js` producer: calls a function exported by a user ES module, once per item, in-process.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { PermanentError, ValidationError } from '../core/errors.js';
import type { Producer, ProducerContext, ProducerResult } from '../core/producer.js';
import { credentialEnvMap, parseConfig } from './config.js';

const nonEmpty = z.string({ error: 'expected a non-empty string' }).min(1, { error: 'expected a non-empty string' });
const schema = z.strictObject({
  module: nonEmpty,
  export: nonEmpty.default('default'),
  input: z.unknown().optional(),
  credentials: credentialEnvMap(),
});

/**
 * Config of the `js` producer (before rendering).
 * - `module` (required): path of an ES module (absolute, `file:` URL, or relative to the
 *   producer's `baseDir`).
 * - `export`: the exported function to call (default `default`).
 * - `input`: passed as the function's first argument (templates rendered against the row).
 * - `credentials`: `{ ENV_VAR: "credential name" }`: each saved credential's value is in
 *   `ctx.env.ENV_VAR` when the function runs (revealed by the executor; never in the inputs).
 */
export type JsConfig = z.input<typeof schema>;

/**
 * Second argument of a user function: the attempt's context (the producer context without the
 * inputs, which come as the first argument, and without the time budget).
 */
export type JsFunctionContext = Pick<ProducerContext, 'idempotencyKey' | 'signal' | 'attempt' | 'runId' | 'itemId' | 'env'>;

/** The shape a user module exports: `(input, ctx) => value | Promise<value>`. */
export type JsFunction = (input: unknown, ctx: JsFunctionContext) => unknown;

/** Options of {@link createJsProducer}. */
export interface JsProducerOptions {
  /** Directory relative module paths resolve against; default `process.cwd()`. */
  baseDir?: string;
  /**
   * When set, every module must live under this directory (after following symlinks): a path
   * outside it is refused when the column is added (`validation_failed` naming
   * `config.module`) and when an item runs (`module_outside_js_dir`). `runyard up` sets it to
   * its js directory (`RUNYARD_JS_DIR`). @default undefined (no restriction; library use)
   */
  root?: string;
}

/** Whether `path` is `dir` or inside it. */
function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** `path` with symlinks resolved as far as it exists. */
function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * Creates the `js` producer. Modules are imported once per resolved path and cached.
 * `execute` resolves with `value` = the function's (awaited) return value and `outputs`
 * `{ value }`. Errors the function throws pass through unchanged (`PermanentError` and
 * `RetryableError` steer retries). It rejects with `PermanentError` `module_not_found`,
 * `invalid_module` (import failed or the export is not a function), or `aborted` (the signal
 * fired before the function settled).
 */
export function createJsProducer(opts: JsProducerOptions = {}): Producer {
  const baseDir = opts.baseDir ?? process.cwd();
  const root = opts.root === undefined ? undefined : real(opts.root);
  const modules = new Map<string, Promise<Record<string, unknown>>>();

  /** The module's absolute path (no file system access). */
  const resolvedOf = (spec: string): string => {
    try {
      return spec.startsWith('file:') ? fileURLToPath(spec) : isAbsolute(spec) ? spec : resolve(baseDir, spec);
    } catch {
      throw new PermanentError('invalid_module', 'config.module: not a valid path or file: URL', { field: 'config.module' });
    }
  };

  /** {@link resolvedOf}, checked to be under the js directory (symlinks followed). */
  const pathOf = (spec: string): string => {
    const path = resolvedOf(spec);
    if (root !== undefined && !inside(root, real(path))) {
      throw new PermanentError('module_outside_js_dir', `config.module: modules must live under the js directory ${root} (RUNYARD_JS_DIR)`, {
        field: 'config.module',
      });
    }
    return path;
  };

  const load = (spec: string): Promise<Record<string, unknown>> => {
    // A module imported before was checked when it was imported, and the cached module is the
    // code that runs (a later symlink change does not change it): no file system call per item.
    const cached = modules.get(resolvedOf(spec));
    if (cached) return cached;
    const path = pathOf(spec);
    let mod = modules.get(path);
    if (!mod) {
      mod = (import(pathToFileURL(path).href) as Promise<Record<string, unknown>>).catch((err: unknown) => {
        modules.delete(path);
        const e = err as { code?: string; message?: string };
        if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message?.includes(path)) {
          throw new PermanentError('module_not_found', `config.module: ${JSON.stringify(spec)} was not found (resolved to ${path})`, {
            field: 'config.module',
          });
        }
        throw new PermanentError('invalid_module', `config.module: ${JSON.stringify(spec)} failed to load: ${e.message ?? String(err)}`, {
          field: 'config.module',
        });
      });
      modules.set(path, mod);
    }
    return mod;
  };

  return {
    name: 'js',
    validate(config: unknown): void {
      const cfg = parseConfig(schema, config);
      // A templated module path is checked when an item renders it.
      if (!cfg.module.includes('{{')) {
        try {
          pathOf(cfg.module);
        } catch (err) {
          throw new ValidationError((err as Error).message, { field: 'config.module' });
        }
      }
    },
    async execute(ctx: ProducerContext): Promise<ProducerResult> {
      const cfg = parseConfig(schema, ctx.inputs);
      const mod = await load(cfg.module);
      const fn = mod[cfg.export];
      if (typeof fn !== 'function') {
        const exported = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
        throw new PermanentError(
          'invalid_module',
          `config.export: ${JSON.stringify(cfg.export)} is not a function exported by ${JSON.stringify(cfg.module)}` +
            `; exported functions: ${exported.length ? exported.join(', ') : '(none)'}`,
          { field: 'config.export' },
        );
      }
      if (ctx.signal.aborted) throw new PermanentError('aborted', 'the attempt was aborted before the function was called');
      const fctx: JsFunctionContext = {
        idempotencyKey: ctx.idempotencyKey,
        signal: ctx.signal,
        attempt: ctx.attempt,
        runId: ctx.runId,
        itemId: ctx.itemId,
        env: ctx.env,
      };
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(new PermanentError('aborted', `the attempt was aborted while ${cfg.export} was running`));
        ctx.signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        const value = await Promise.race([Promise.resolve().then(() => (fn as JsFunction)(cfg.input, fctx)), aborted]);
        return { value, outputs: { value } };
      } finally {
        if (onAbort) ctx.signal.removeEventListener('abort', onAbort);
      }
    },
  };
}
