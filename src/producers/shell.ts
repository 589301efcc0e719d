/**
 * The `shell` producer: runs one command per item as a child process. The command and its
 * arguments go straight to `spawn` (no shell), so rendered row values are data, never code.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { PermanentError, RetryableError, ValidationError } from '../core/errors.js';
import type { Producer, ProducerContext, ProducerResult } from '../core/producer.js';
import { asText, credentialEnvMap, head, parseConfig, positiveInt, stringRecord, tail } from './config.js';

/** Default cap on stdout + stderr together, bytes (1 MiB). */
export const SHELL_DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

const schema = (rendered: boolean) => {
  const nonEmpty = z.string({ error: 'expected a non-empty string' }).min(1, { error: 'expected a non-empty string' });
  const arg = rendered ? z.unknown() : z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string' });
  return z.strictObject({
    command: nonEmpty,
    args: z.array(arg.transform(asText), { error: 'expected an array of strings' }).default([]),
    stdin: z.unknown().optional(),
    cwd: nonEmpty.optional(),
    env: stringRecord(rendered),
    timeout_ms: positiveInt('ms'),
    max_output_bytes: positiveInt('bytes'),
    parse: z.enum(['text', 'json'], { error: 'expected "text" or "json"' }).default('text'),
    retry_exit_codes: z.array(z.number().int(), { error: 'expected an array of integer exit codes' }).optional(),
    credentials: credentialEnvMap(),
  });
};

/**
 * Config of the `shell` producer (before rendering). Times are ms, sizes bytes.
 * - `command` (required): executable name (looked up on `PATH`) or path; never run through a shell.
 * - `args`: argv after the command; each rendered value is passed literally (non-strings are
 *   JSON-encoded). `stdin`: written to the child then closed (non-strings JSON-encoded).
 * - `cwd`, `env` (added on top of `PATH`/`HOME`/`LANG`; the run's env overrides and secrets
 *   replace same-named entries).
 * - `timeout_ms` (default: the item's budget), `max_output_bytes` (default 1 MiB, stdout+stderr).
 * - `parse`: `text` (value = trimmed stdout, default) or `json`.
 * - `retry_exit_codes`: exit codes that make the attempt retryable instead of permanent.
 * - `credentials`: `{ ENV_VAR: "credential name" }`: each saved credential's value is set as
 *   that variable when the item runs (revealed by the executor; never in the item's inputs).
 *   The run's own overrides and secrets replace a same-named variable.
 */
export type ShellConfig = z.input<ReturnType<typeof schema>>;

/** Options of {@link createShellProducer}. */
export interface ShellProducerOptions {
  /**
   * The only commands allowed (exact `command` values, e.g. `node`, `/usr/bin/jq`); checked when
   * a column is added (`validation_failed`) and when an item runs (`command_not_allowed`).
   * @default undefined (any command; `runyard up` reads `RUNYARD_SHELL_COMMANDS`, comma-separated)
   */
  allow?: readonly string[];
}

/**
 * Creates the `shell` producer. `validate` throws `ValidationError` naming the field.
 * `execute` resolves with `value` (trimmed stdout, or parsed JSON), `outputs` `{ stdout, stderr,
 * exit_code }` and `usage.command_ms`; it rejects with
 * `RetryableError` `producer_timeout` (the process group was killed) or `command_failed` (exit
 * code listed in `retry_exit_codes`), or `PermanentError` `command_failed` (non-zero exit; the
 * message holds the code and the last 2 KB of stderr), `command_not_found` (ENOENT),
 * `invalid_cwd`, `invalid_argument`, `output_too_large`, `invalid_output` (bad JSON), `aborted`.
 */
export function createShellProducer(opts: ShellProducerOptions = {}): Producer {
  const allow = opts.allow === undefined ? undefined : new Set(opts.allow);
  const check = (command: string): void => {
    if (allow !== undefined && !allow.has(command)) {
      throw new PermanentError(
        'command_not_allowed',
        `config.command: ${head(JSON.stringify(command), 100)} is not in RUNYARD_SHELL_COMMANDS (${[...allow].join(', ') || 'empty'})`,
        {
          field: 'config.command',
        },
      );
    }
  };
  return {
    name: 'shell',
    validate(config: unknown): void {
      const cfg = parseConfig(schema(false), config);
      try {
        check(cfg.command);
      } catch (err) {
        throw new ValidationError((err as Error).message, { field: 'config.command' });
      }
    },
    async execute(ctx: ProducerContext): Promise<ProducerResult> {
      const cfg = parseConfig(schema(true), ctx.inputs);
      check(cfg.command);
      if (ctx.signal.aborted) throw new PermanentError('aborted', 'the attempt was aborted before the command started');
      if (cfg.cwd !== undefined) {
        const ok = await stat(cfg.cwd).then(
          (s) => s.isDirectory(),
          () => false,
        );
        if (!ok) throw new PermanentError('invalid_cwd', `config.cwd: ${JSON.stringify(cfg.cwd)} is not a directory`, { field: 'config.cwd' });
      }
      const env: Record<string, string> = {};
      for (const k of ['PATH', 'HOME', 'LANG']) {
        const v = process.env[k];
        if (v !== undefined) env[k] = v;
      }
      // The run's overrides (ctx.env) win over the column's saved env: they are this run's changes.
      Object.assign(env, cfg.env, ctx.env, {
        RUNYARD_IDEMPOTENCY_KEY: ctx.idempotencyKey,
        RUNYARD_RUN_ID: ctx.runId,
        RUNYARD_ITEM_ID: ctx.itemId,
        RUNYARD_ATTEMPT: String(ctx.attempt),
      });
      const out = await run(cfg.command, cfg.args, {
        env,
        cwd: cfg.cwd,
        stdin: cfg.stdin === undefined ? undefined : asText(cfg.stdin),
        timeoutMs: cfg.timeout_ms ?? ctx.timeoutMs,
        maxBytes: cfg.max_output_bytes ?? SHELL_DEFAULT_MAX_OUTPUT_BYTES,
        signal: ctx.signal,
      });
      const outputs = { stdout: out.stdout, stderr: out.stderr, exit_code: out.code };
      if (out.code !== 0) {
        const why = out.code === null ? `was killed by ${out.signal ?? 'a signal'}` : `exited with code ${out.code}`;
        const msg = `command ${JSON.stringify(cfg.command)} ${why}${out.stderr ? `; stderr: ${tail(out.stderr.trimEnd())}` : ''}`;
        const detail = { exit_code: out.code, signal: out.signal, stderr: tail(out.stderr) };
        if (out.code !== null && cfg.retry_exit_codes?.includes(out.code)) throw new RetryableError('command_failed', msg, undefined, detail);
        throw new PermanentError('command_failed', msg, detail);
      }
      let value: unknown = out.stdout.trim();
      if (cfg.parse === 'json') {
        try {
          value = JSON.parse(out.stdout);
        } catch (err) {
          throw new PermanentError('invalid_output', `stdout is not valid JSON (${(err as Error).message}): ${tail(out.stdout, 200)}`);
        }
      }
      return { value, outputs, usage: { command_ms: out.ms } };
    },
  };
}

interface RunOptions {
  env: Record<string, string>;
  cwd: string | undefined;
  stdin: string | undefined;
  timeoutMs: number;
  maxBytes: number;
  signal: AbortSignal;
}

interface RunOutput {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: string | null;
  ms: number;
}

/** Spawns the command in its own process group; kills the whole group on timeout, abort or cap. */
function run(command: string, args: string[], o: RunOptions): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        shell: false,
        detached: true,
        env: o.env,
        stdio: [o.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        ...(o.cwd === undefined ? {} : { cwd: o.cwd }),
      });
    } catch (err) {
      reject(new PermanentError('invalid_argument', `cannot start ${JSON.stringify(command)}: ${(err as Error).message}`));
      return;
    }
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    let done = false;
    const settle = (err: Error | null, value?: RunOutput): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else if (value) resolve(value);
    };
    const stop = (err: Error): void => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
      settle(err);
    };
    const timer = setTimeout(
      () => stop(new RetryableError('producer_timeout', `command ${JSON.stringify(command)} timed out after ${o.timeoutMs} ms; its process group was killed`)),
      o.timeoutMs,
    );
    const onAbort = (): void => stop(new PermanentError('aborted', `the attempt was aborted; command ${JSON.stringify(command)} was killed`));
    o.signal.addEventListener('abort', onAbort, { once: true });
    const collect = (sink: Buffer[]) => (chunk: Buffer) => {
      if (done) return;
      bytes += chunk.length;
      if (bytes > o.maxBytes) {
        stop(
          new PermanentError('output_too_large', `command output exceeded ${o.maxBytes} bytes (stdout + stderr); the command was killed`, {
            max_output_bytes: o.maxBytes,
            bytes_read: bytes,
          }),
        );
        return;
      }
      sink.push(chunk);
    };
    child.stdout?.on('data', collect(stdout));
    child.stderr?.on('data', collect(stderr));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') stop(new PermanentError('command_not_found', `command ${JSON.stringify(command)} was not found (check PATH or the path)`));
      else if (err.code === 'EACCES') stop(new PermanentError('command_not_found', `command ${JSON.stringify(command)} is not executable`));
      else stop(new RetryableError('spawn_failed', `cannot start ${JSON.stringify(command)}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      const text = (b: Buffer[]) => Buffer.concat(b).toString('utf8');
      settle(null, { stdout: text(stdout), stderr: text(stderr), code, signal, ms: Math.round(performance.now() - started) });
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // EPIPE when the child does not read its stdin
      child.stdin.end(o.stdin);
    }
  });
}
