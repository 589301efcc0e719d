/**
 * The executor's sizing and timing flags, shared by `runyard worker` and `runyard up`:
 * `--capacity`, `--lease-ms`, `--heartbeat-ms`, `--sweep-ms`, `--poll-ms`.
 */
import type { Command } from 'commander';
import type { EngineOptions } from '../engine/options.js';
import { intOption, UsageError } from './common.js';

const ms = intOption(1, 3_600_000);

/** The executor's sizing and timing flags (commander's camel-cased options). */
export interface ExecutorFlags {
  capacity?: number;
  leaseMs?: number;
  heartbeatMs?: number;
  sweepMs?: number;
  pollMs?: number;
}

/**
 * The engine options given on the command line (`--capacity`, `--lease-ms`, `--heartbeat-ms`,
 * `--sweep-ms`, `--poll-ms`). @throws UsageError when they contradict each other
 */
export function engineOptions(opts: ExecutorFlags): Partial<EngineOptions> {
  const out: Partial<EngineOptions> = {};
  if (opts.capacity !== undefined) out.capacity = opts.capacity;
  if (opts.leaseMs !== undefined) out.leaseMs = opts.leaseMs;
  if (opts.heartbeatMs !== undefined) out.heartbeatMs = opts.heartbeatMs;
  if (opts.sweepMs !== undefined) out.sweepMs = opts.sweepMs;
  if (opts.pollMs !== undefined) out.pollMs = opts.pollMs;
  const lease = out.leaseMs ?? 10_000;
  const heartbeat = out.heartbeatMs ?? Math.min(3_000, Math.floor(lease / 3));
  if (heartbeat * 2 > lease)
    throw new UsageError(`--heartbeat-ms (${heartbeat}) must be at most half of --lease-ms (${lease}), or leases expire between heartbeats`);
  if (opts.leaseMs !== undefined && opts.heartbeatMs === undefined) out.heartbeatMs = heartbeat;
  return out;
}

/** Adds the executor's sizing and timing flags ({@link ExecutorFlags}) to a command. */
export function executorFlags(command: Command): Command {
  return command
    .option('--capacity <n>', 'items this node executes at once (default 1024 on SQLite, 256 on PostgreSQL)', intOption(1, 100_000))
    .option('--lease-ms <n>', 'lease length of a claimed item (default 10000)', ms)
    .option('--heartbeat-ms <n>', 'lease heartbeat interval (default 3000, at most half the lease)', ms)
    .option('--sweep-ms <n>', 'expired-lease sweep interval (default 1000)', ms)
    .option('--poll-ms <n>', 'longest wait between claim attempts when idle (default 250)', ms);
}
