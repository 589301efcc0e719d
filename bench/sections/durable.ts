/**
 * Durable items/s (issue 11): the throughput section's no-op `js` column over `rows` rows on
 * SQLite, with a `kill -9` of the `runyard up` node once half of the items succeeded, a restart
 * on the same database and data directory, and the run measured to its end, recovery included.
 * items/s = rows ÷ (run finished_at − started_at), as the engine records them; the run must end
 * `succeeded` with every item succeeded (nothing lost).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnRunyard } from '../../test/helpers/proc.js';
import type { BenchContext } from '../lib/context.js';
import { api, waitForRun } from '../lib/http.js';

const PROFILE = process.env.BENCH_PROFILE ?? 'large';
/** Longest the whole run may take, kill and restart included, ms. */
const RUN_TIMEOUT_MS = 30 * 60_000;

export async function durableSqlite(ctx: BenchContext): Promise<void> {
  const { rows } = ctx.config;
  const module = join(ctx.dir, 'noop-durable.mjs');
  writeFileSync(module, 'export default (input) => input;\n');
  const database = join(ctx.dir, 'durable.db');
  // One data dir for both starts: the restarted node keeps the secret key and the admin token.
  const env = ctx.childEnv();
  const first = ctx.defer(await spawnRunyard(['--database', database], env), (p) => p.kill('SIGKILL'));
  const token = first.token;
  let http = api(first.url, token);
  const csv = `n\n${Array.from({ length: rows }, (_, i) => i).join('\n')}\n`;
  const table = await http.post<{ id: string }>('/v1/tables', { name: 'bench', format: 'csv', data: csv });
  await http.post(`/v1/tables/${table.id}/columns`, { name: 'noop', producer: 'js', config: { module, input: { n: '{{n}}' } }, profile: PROFILE });
  const run = await http.post<{ id: string }>(`/v1/tables/${table.id}/columns/noop/runs`, {});
  // Halfway: poll often, so the kill lands near the middle even at full speed.
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  let atKill: number;
  for (;;) {
    const r = await http.get(`/v1/runs/${run.id}`);
    atKill = Number(r.items_succeeded ?? 0);
    if (atKill >= rows / 2 || ['succeeded', 'partial', 'failed', 'canceled'].includes(String(r.status))) break;
    if (Date.now() > deadline) throw new Error(`durable: run ${run.id} did not reach half of its items in time`);
    await new Promise((res) => setTimeout(res, 5));
  }
  await first.kill('SIGKILL');
  const killedAt = Date.now();
  const second = ctx.defer(await spawnRunyard(['--database', database], env), (p) => p.kill('SIGKILL'));
  const restartMs = Date.now() - killedAt;
  try {
    http = api(second.url, token ?? second.token);
    const done = await waitForRun(http, run.id, Math.max(1, deadline - Date.now()));
    const seconds = (Date.parse(String(done.finished_at)) - Date.parse(String(done.started_at))) / 1000;
    if (done.status !== 'succeeded' || Number(done.items_succeeded) !== rows) {
      throw new Error(`durable run ended ${String(done.status)} with ${String(done.items_succeeded)}/${rows} items succeeded`);
    }
    ctx.record({
      id: 'throughput.sqlite.durable_items_per_s',
      section: 'throughput',
      label: 'durable items/s: no-op js column, `kill -9` of `runyard up` halfway, restart, to completion',
      db: 'sqlite',
      value: rows / seconds,
      unit: 'items/s',
      detail:
        `${rows.toLocaleString('en-US')} rows, profile ${PROFILE}, ${seconds.toFixed(2)} s; killed at ${atKill.toLocaleString('en-US')} succeeded, ` +
        `restarted (listening) ${(restartMs / 1000).toFixed(2)} s later; every item succeeded`,
    });
  } finally {
    await second.kill('SIGTERM');
  }
}
