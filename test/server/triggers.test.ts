/**
 * Triggers over real HTTP on 127.0.0.1, on both databases (issue 15): bad input 422s naming
 * the field; CEL filters and the trigger label; event de-duplication under a burst of 1,000
 * events with 10% repeated ids (exactly the runs the rules imply; event → run latency printed);
 * pause and test; a fire a crash left is routed once; schedules with two engines on one
 * database fire one run per slot; Standard Webhooks (test vector, replayed, stale, tampered,
 * unsigned, oversized, rotation).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Webhook } from 'standardwebhooks';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { signatureMatches } from '../../src/engine/triggers.js';
import { createProducerRegistry } from '../../src/producers/index.js';
import { createApp } from '../../src/server/app.js';
import { tokenFor } from '../helpers/auth.js';
import { describeEachBackend, type OpenedStore } from '../helpers/backends.js';
import { FAST, tempDir, until, writeModule } from '../helpers/fixtures.js';

type Json = Record<string, unknown> & { error?: { code: string; message: string; details: Record<string, unknown> } };

const TRIGGERS = { sweepMs: 100, scheduleTickMs: 100, missedAfterMs: 3000, fireLeaseMs: 2000 };

describeEachBackend('triggers', (backend) => {
  let opened: OpenedStore;
  let engine: Engine;
  let server: ServerType;
  let base = '';
  let token = '';
  let tableId = '';
  const dir = tempDir();

  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: Json; text: string }> {
    const init: RequestInit = {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(`${base}${path}`, init);
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Json) : {}, text };
  }

  const target = () => ({ type: 'column', table_id: tableId, column: 'echo' });
  const count = async (sql: string, params: unknown[] = []) => Number((await opened.exec<{ n: number | string }>(sql, params))[0]?.n ?? 0);

  before(async () => {
    writeModule(dir, 'echo.mjs', 'export default (i) => ({ echoed: i.name });');
    opened = await backend.open();
    engine = createEngine({ store: opened.store, producers: createProducerRegistry({ baseDir: dir }), options: FAST, triggers: TRIGGERS });
    await engine.startExecutor();
    engine.triggers.start();
    const app = createApp(engine, { baseUrl: () => base });
    server = await new Promise<ServerType>((res) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => res(s));
    });
    // Senders reuse connections through long busy stretches: the server keeps them open meanwhile.
    (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = 120_000;
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    token = await tokenFor(engine, 'admin');
    const t = await call('POST', '/v1/tables', { name: 'people', format: 'csv', data: 'name\nada\n' });
    tableId = t.json.id as string;
    const col = await call('POST', `/v1/tables/${tableId}/columns`, {
      name: 'echo',
      producer: 'js',
      config: { module: 'echo.mjs', input: { name: '{{name}}' } },
    });
    assert.equal(col.status, 201, col.text);
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await engine.triggers.stop();
    await engine.stopExecutor();
    await engine.store.close();
  });

  test('bad input: 422 naming the field, nothing saved', async () => {
    const cases: [string, unknown, string][] = [
      ['/v1/rules', { name: 'r', on: 'x', if: 'event.data.amount >', target: target() }, 'if'],
      ['/v1/rules', { name: 'r', on: 'x', idempotency_key: '(((', target: target() }, 'idempotency_key'],
      ['/v1/rules', { name: 'r', on: 'x', target: { type: 'nope' } }, 'target.type'],
      ['/v1/rules', { name: 'r', on: 'x', target: { type: 'column', table_id: 'tbl_missing', column: 'echo' } }, 'target'],
      ['/v1/rules', { name: 'r', on: 'x', prompt: '{{#if}}', target: target() }, 'prompt'],
      ['/v1/schedules', { name: 's', cron: '61 * * * *', target: target() }, 'cron'],
      ['/v1/schedules', { name: 's', cron: '* * * *', target: target() }, 'cron'],
      ['/v1/schedules', { name: 's', cron: '0 0 31 2 *', target: target() }, 'cron'],
      ['/v1/schedules', { name: 's', cron: '* * * * *', timezone: 'Mars/Olympus', target: target() }, 'timezone'],
      ['/v1/schedules', { name: 's', cron: '* * * * *', end_at: '2001-01-01T00:00:00Z', target: target() }, 'end_at'],
      ['/v1/events', { name: '' }, 'name'],
      ['/v1/events', { name: 'x', ts: 'yesterday' }, 'ts'],
      ['/v1/hooks', { name: 'h', secret: 'not-a-secret' }, 'secret'],
    ];
    for (const [path, body, field] of cases) {
      const r = await call('POST', path, body);
      assert.equal(r.status, 422, `${path} ${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.json.error?.details.field, field, r.text);
    }
    assert.equal((await call('GET', '/v1/rules')).json.data instanceof Array ? ((await call('GET', '/v1/rules')).json.data as unknown[]).length : -1, 0);
    assert.equal(((await call('GET', '/v1/schedules')).json.data as unknown[]).length, 0);
  });

  test('a rule with a CEL filter starts a run labelled with the rule and the event; the event links back', async () => {
    const rule = await call('POST', '/v1/rules', {
      name: 'big orders',
      on: 'order.created',
      if: 'event.data.amount > 100 && event.data.region == "eu"',
      target: target(),
      prompt: 'Check order {{event.data.order}}',
    });
    assert.equal(rule.status, 201, rule.text);
    assert.match(String(rule.json.id), /^rul_/);
    const small = await call('POST', '/v1/events', { name: 'order.created', data: { amount: 50, region: 'eu', order: 'o1' } });
    const other = await call('POST', '/v1/events', { name: 'order.created', data: { amount: 500, region: 'us', order: 'o2' } });
    const big = await call('POST', '/v1/events', { name: 'order.created', data: { amount: 150, region: 'eu', order: 'o3' } });
    assert.equal(big.status, 201, big.text);
    const ev = await until('the run of the big order', 10_000, async () => {
      const e = await call('GET', `/v1/trigger-events/${String(big.json.id)}`);
      return (e.json.run_ids as string[]).length > 0 ? e.json : undefined;
    });
    const runId = (ev.run_ids as string[])[0] ?? '';
    const run = await call('GET', `/v1/runs/${runId}`);
    assert.deepEqual(run.json.trigger, { type: 'rule', source_id: rule.json.id, actor: big.json.id });
    assert.equal(run.json.prompt, 'Check order o3');
    for (const e of [small, other]) assert.deepEqual((await call('GET', `/v1/trigger-events/${String(e.json.id)}`)).json.run_ids, []);
    const listed = await call('GET', `/v1/runs?trigger=rule`);
    assert.ok((listed.json.data as Json[]).some((r) => r.id === runId));
    assert.equal(((await call('GET', `/v1/runs?trigger=schedule`)).json.data as Json[]).length, 0);
    const events = await call('GET', '/v1/trigger-events?name=order.created');
    assert.equal((events.json.data as Json[]).length, 3);
  });

  test('pause records events as skipped: rule_paused; test shows the run it would create and starts nothing', async () => {
    const rule = await call('POST', '/v1/rules', {
      name: 'signups',
      on: 'user.signup',
      target: target(),
      prompt: 'Welcome {{event.data.email}}',
      mode: 'dry_run',
    });
    const id = String(rule.json.id);
    const before = await count('SELECT COUNT(*) AS n FROM runs');
    const tested = await call('POST', `/v1/rules/${id}/test`, { name: 'user.signup', data: { email: 'a@b.c' } });
    assert.equal(tested.status, 200, tested.text);
    assert.equal(tested.json.match, true);
    assert.equal((tested.json.run as Json).prompt, 'Welcome a@b.c');
    assert.deepEqual(((tested.json.run as Json).trigger as Json).type, 'rule');
    const miss = await call('POST', `/v1/rules/${id}/test`, { name: 'user.signup', data: {} });
    assert.equal(miss.json.match, true);
    assert.match(String(miss.json.reason), /would fail/);
    assert.equal((await call('POST', `/v1/rules/${id}/pause`)).json.status, 'paused');
    const ev = await call('POST', '/v1/events', { name: 'user.signup', data: { email: 'x@y.z' } });
    assert.deepEqual(
      (ev.json.fires as Json[]).map((f) => [f.status, f.reason]),
      [['skipped', 'rule_paused']],
    );
    assert.equal(await count('SELECT COUNT(*) AS n FROM runs'), before);
    await call('POST', `/v1/rules/${id}/resume`);
    // A prompt the event cannot render starts no run and says why on the event.
    const bad = await call('POST', '/v1/events', { name: 'user.signup', data: {} });
    const seen = await until('the failed fire', 10_000, async () => {
      const e = await call('GET', `/v1/trigger-events/${String(bad.json.id)}`);
      const f = (e.json.fires as Json[])[0];
      return f && f.status !== 'pending' ? f : undefined;
    });
    assert.equal(seen.status, 'failed');
    assert.match(String(seen.reason), /email/);
    await call('POST', `/v1/rules/${id}/pause`);
  });

  test('1,000 events with 10% repeated ids start exactly the runs the rules imply', async () => {
    const perEvent = await call('POST', '/v1/rules', { name: 'every', on: 'burst', target: target(), mode: 'dry_run' });
    const perCustomer = await call('POST', '/v1/rules', {
      name: 'per customer',
      on: 'burst',
      idempotency_key: 'event.data.customer',
      target: target(),
      mode: 'dry_run',
    });
    const filtered = await call('POST', '/v1/rules', { name: 'even', on: 'burst', if: 'int(event.data.n) % 2 == 0', target: target(), mode: 'dry_run' });
    const limited = await call('POST', '/v1/rules', { name: 'rated', on: 'burst', rate: { limit: 25, period: '1h' }, target: target(), mode: 'dry_run' });
    assert.equal(limited.status, 201, limited.text);
    const debounced = await call('POST', '/v1/rules', {
      name: 'settled per customer',
      on: 'burst',
      debounce: { period: '5s', key: 'event.data.customer' },
      target: target(),
      mode: 'dry_run',
    });
    assert.equal(debounced.status, 201, debounced.text);
    // Per-key concurrency: runs of the gate column stay running until the test opens the gate.
    const gateFile = join(dir, 'gate.open');
    writeModule(
      dir,
      'gate.mjs',
      `import { existsSync } from 'node:fs';\nexport default async (i) => {\n  while (!existsSync(${JSON.stringify(gateFile)})) await new Promise((r) => setTimeout(r, 25));\n  return { passed: i.name };\n};\n`,
    );
    const gateCol = await call('POST', `/v1/tables/${tableId}/columns`, {
      name: 'gate',
      producer: 'js',
      config: { module: 'gate.mjs', input: { name: '{{name}}' } },
    });
    assert.equal(gateCol.status, 201, gateCol.text);
    const badConc = await call('POST', '/v1/rules', { name: 'c', on: 'burst', concurrency: { key: 'event.data.(', limit: 2 }, target: target() });
    assert.equal(badConc.json.error?.details.field, 'concurrency.key', badConc.text);
    const gated = await call('POST', '/v1/rules', {
      name: 'two per customer',
      on: 'burst',
      concurrency: { key: 'event.data.customer', limit: 2 },
      target: { type: 'column', table_id: tableId, column: 'gate' },
    });
    assert.equal(gated.status, 201, gated.text);
    const sends: { id: string; n: number }[] = [];
    for (let n = 0; n < 900; n++) sends.push({ id: `b-${n}`, n });
    for (let k = 0; k < 100; k++) sends.push({ id: `b-${k * 9}`, n: k * 9 });
    const accepted = new Map<string, number>();
    let next = 0;
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < sends.length) {
          const s = sends[next++];
          if (!s) break;
          const r = await call('POST', '/v1/events', { name: 'burst', id: s.id, data: { n: s.n, customer: `c${s.n % 10}` } });
          statuses.push(r.status);
          accepted.set(s.id, accepted.get(s.id) ?? 0);
          if (r.status === 201) accepted.set(s.id, (accepted.get(s.id) ?? 0) + 1);
        }
      }),
    );
    const byStatus = JSON.stringify(statuses.reduce<Record<number, number>>((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {}));
    assert.equal(statuses.filter((s) => s === 201).length, 900, byStatus);
    assert.equal(statuses.filter((s) => s === 200).length, 100);
    assert.equal(await count("SELECT COUNT(*) AS n FROM trigger_events WHERE name = 'burst'"), 900);
    const runsOf = (rule: Json) => count('SELECT COUNT(*) AS n FROM runs WHERE trigger_source_id = ?', [rule.id]);
    // Every fire routed but the held ones (and the debounced ones, waiting out their period).
    await until('every fire routed', 60_000, async () =>
      (await count("SELECT COUNT(*) AS n FROM trigger_fires WHERE status = 'pending' AND reason IS NULL AND group_key IS NULL")) === 0 ? true : undefined,
    );
    // Concurrency, gate closed: two runs per customer (10 customers), the other 880 events held.
    assert.equal(await runsOf(gated.json), 20);
    const perKey = await opened.exec<{ actor: string }>('SELECT trigger_actor AS actor FROM runs WHERE trigger_source_id = ?', [gated.json.id]);
    assert.equal(perKey.length, 20);
    assert.equal(
      await count("SELECT COUNT(*) AS n FROM trigger_fires WHERE source_id = ? AND status = 'pending' AND reason = 'concurrency_limit'", [gated.json.id]),
      880,
    );
    const customerOf = new Map(
      (await opened.exec<{ id: string; data: string }>("SELECT id, data FROM trigger_events WHERE name = 'burst'")).map((e) => [
        e.id,
        String((JSON.parse(e.data) as { customer: string }).customer),
      ]),
    );
    const started = new Map<string, number>();
    for (const r of perKey) started.set(customerOf.get(r.actor) ?? '?', (started.get(customerOf.get(r.actor) ?? '?') ?? 0) + 1);
    assert.deepEqual(
      [...started.values()],
      Array.from({ length: 10 }, () => 2),
      JSON.stringify([...started]),
    );
    // Debounce, by counting: each customer's last event has a run; any other run's event was
    // followed by its customer's next event only after the quiet period (5 s) passed; every
    // other event was superseded (debounced). On a calm machine that is one run per customer.
    const events = await opened.exec<{ id: string; created_at: number | string }>(
      "SELECT id, created_at FROM trigger_events WHERE name = 'burst' ORDER BY created_at, id",
    );
    const nextGap = new Map<string, number>();
    const lastOf = new Map<string, { id: string; at: number }>();
    for (const e of events) {
      const c = customerOf.get(e.id) ?? '?';
      const prev = lastOf.get(c);
      if (prev) nextGap.set(prev.id, Number(e.created_at) - prev.at);
      lastOf.set(c, { id: e.id, at: Number(e.created_at) });
    }
    await until('debounced groups settled', 30_000, async () =>
      (await count("SELECT COUNT(*) AS n FROM trigger_fires WHERE source_id = ? AND status = 'pending'", [debounced.json.id])) === 0 ? true : undefined,
    );
    const debouncedActors = (await opened.exec<{ a: string }>('SELECT trigger_actor AS a FROM runs WHERE trigger_source_id = ?', [debounced.json.id])).map(
      (r) => r.a,
    );
    for (const l of lastOf.values()) assert.ok(debouncedActors.includes(l.id), `the last event ${l.id} of its customer has a run`);
    for (const a of debouncedActors) {
      const gap = nextGap.get(a);
      assert.ok(gap === undefined || gap >= 5000, `run for ${a}: its customer's next event came ${gap} ms later, within the quiet period`);
    }
    assert.equal(new Set(debouncedActors).size, debouncedActors.length);
    const splits = [...nextGap.values()].filter((g) => g >= 5000).length;
    assert.ok(debouncedActors.length >= 10 && debouncedActors.length <= 10 + splits, `${debouncedActors.length} debounced runs, ${splits} quiet gaps`);
    assert.equal(
      await count("SELECT COUNT(*) AS n FROM trigger_fires WHERE source_id = ? AND reason = 'debounced'", [debounced.json.id]),
      900 - debouncedActors.length,
    );
    assert.equal(await runsOf(perEvent.json), 900);
    assert.equal(await runsOf(perCustomer.json), 10);
    assert.equal(await runsOf(filtered.json), 450);
    const windows = await count("SELECT COUNT(DISTINCT created_at / 3600000) AS n FROM trigger_events WHERE name = 'burst'");
    // (integer division on both databases: created_at is an integer column)
    assert.equal(await runsOf(limited.json), 25 * windows);
    assert.equal(await count("SELECT COUNT(*) AS n FROM trigger_fires WHERE source_id = ? AND reason = 'rate_limited'", [limited.json.id]), 900 - 25 * windows);
    assert.equal(
      await count("SELECT COUNT(*) AS n FROM trigger_fires WHERE source_id = ? AND status = 'skipped' AND reason = 'duplicate_key'", [perCustomer.json.id]),
      890,
    );
    // Gate open: the held events start as runs of their customer end, never more than 2 at a time per customer.
    writeFileSync(gateFile, 'open');
    await until('every held event started', 240_000, async () =>
      (await count("SELECT COUNT(*) AS n FROM trigger_fires WHERE source_id = ? AND status = 'started'", [gated.json.id])) === 900 ? true : undefined,
    );
    await until('every gated run ended', 60_000, async () =>
      (await count('SELECT COUNT(*) AS n FROM runs WHERE trigger_source_id = ? AND finished_at IS NOT NULL', [gated.json.id])) === 900 ? true : undefined,
    );
    assert.equal(await runsOf(gated.json), 900);
    const spans = await opened.exec<{ actor: string; c: number | string; f: number | string }>(
      'SELECT trigger_actor AS actor, created_at AS c, finished_at AS f FROM runs WHERE trigger_source_id = ?',
      [gated.json.id],
    );
    let most = 0;
    for (const key of new Set(customerOf.values())) {
      const mine = spans.filter((r) => customerOf.get(r.actor) === key);
      for (const r of mine) most = Math.max(most, mine.filter((o) => Number(o.c) <= Number(r.c) && Number(o.f) > Number(r.c)).length);
    }
    assert.equal(most, 2, 'at most 2 runs of one customer at a time, and the limit was reached');
    await until('every slot freed', 10_000, async () =>
      (await count('SELECT COUNT(*) AS n FROM trigger_concurrency_slots WHERE source_id = ?', [gated.json.id])) === 0 ? true : undefined,
    );
    // event accepted → run created, per run of the per-event rule
    const lat = (
      await opened.exec<{ d: number | string }>(
        'SELECT r.created_at - e.created_at AS d FROM runs r JOIN trigger_events e ON e.id = r.trigger_actor WHERE r.trigger_source_id = ?',
        [perEvent.json.id],
      )
    )
      .map((r) => Number(r.d))
      .sort((a, b) => a - b);
    const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))];
    console.log(`# ${backend.name}: event accepted → run created over ${lat.length} runs: p50 ${pct(50)} ms, p99 ${pct(99)} ms`);
  });

  test('event accepted → run created, one event at a time (latency figures)', async () => {
    const rule = await call('POST', '/v1/rules', { name: 'latency', on: 'lat', target: target(), mode: 'dry_run' });
    const lat: number[] = [];
    for (let i = 0; i < 200; i++) {
      const sent = await call('POST', '/v1/events', { name: 'lat', data: { i } });
      const accepted = Date.parse(String(sent.json.created_at));
      const run = await until('the run', 10_000, async () => {
        const rows = await opened.exec<{ c: number | string }>('SELECT created_at AS c FROM runs WHERE trigger_actor = ?', [sent.json.id]);
        return rows[0];
      });
      lat.push(Number(run.c) - accepted);
    }
    lat.sort((a, b) => a - b);
    const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))];
    console.log(`# ${backend.name}: event accepted → run created, sequential, 200 events: p50 ${pct(50)} ms, p99 ${pct(99)} ms`);
    assert.equal(await count('SELECT COUNT(*) AS n FROM runs WHERE trigger_source_id = ?', [rule.json.id]), 200);
  });

  test('debounce collapses a burst into one run per key, with the last event', async () => {
    const bad = await call('POST', '/v1/rules', { name: 'd', on: 'typing', debounce: { period: '5 seconds' }, target: target() });
    assert.equal(bad.json.error?.details.field, 'debounce.period', bad.text);
    const badRate = await call('POST', '/v1/rules', { name: 'd', on: 'typing', rate: { limit: 5, period: '0s' }, target: target() });
    assert.equal(badRate.json.error?.details.field, 'rate.period', badRate.text);
    const rule = await call('POST', '/v1/rules', {
      name: 'settle',
      on: 'typing',
      debounce: { period: '2s', key: 'event.data.user' },
      target: target(),
      mode: 'dry_run',
    });
    assert.equal(rule.status, 201, rule.text);
    const sends = [...Array.from({ length: 20 }, (_, i) => ({ user: 'ada', seq: i })), ...Array.from({ length: 5 }, (_, i) => ({ user: 'cy', seq: i }))];
    const ids = await Promise.all(sends.map(async (d) => String((await call('POST', '/v1/events', { name: 'typing', data: d })).json.id)));
    // One more event per user after the concurrent burst, still within the period: the one each run must carry.
    const last: Record<string, string> = {};
    for (const user of ['ada', 'cy']) last[user] = String((await call('POST', '/v1/events', { name: 'typing', data: { user, seq: 99 } })).json.id);
    assert.equal(new Set([...ids, ...Object.values(last)]).size, 27);
    await until('both groups settled', 15_000, async () =>
      (await count("SELECT COUNT(*) AS n FROM trigger_fires WHERE source_id = ? AND status = 'pending'", [rule.json.id])) === 0 ? true : undefined,
    );
    const fires = await opened.exec<{ status: string; reason: string | null; event_id: string; run_id: string | null }>(
      'SELECT status, reason, event_id, run_id FROM trigger_fires WHERE source_id = ?',
      [rule.json.id],
    );
    const started = fires.filter((f) => f.status === 'started');
    assert.equal(started.length, 2, JSON.stringify(fires));
    assert.equal(fires.filter((f) => f.reason === 'debounced').length, 25);
    assert.equal(await count('SELECT COUNT(*) AS n FROM runs WHERE trigger_source_id = ?', [rule.json.id]), 2);
    // Each run carries the last event of its user.
    assert.deepEqual(started.map((f) => f.event_id).sort(), Object.values(last).sort());
  });

  test('a fire a crash left pending is routed once by the sweep, however many try', async () => {
    const rule = await call('POST', '/v1/rules', { name: 'crash', on: 'crash.test', target: target(), mode: 'dry_run' });
    const now = Date.now();
    // As if a node recorded the event and died before routing: the fire's lease has lapsed.
    const res = await engine.store.triggers.recordEvent(
      {
        id: 'tev_crash1',
        workspace_id: engine.workspaceId,
        name: 'crash.test',
        data: {},
        client_id: null,
        dedupe_key: null,
        source_type: 'api',
        source_id: null,
        actor: null,
        ts: now,
        created_at: now,
      },
      1000,
      (rules) =>
        rules.map((r) => ({
          source_type: 'rule',
          source_id: r.id,
          source_version: r.version,
          cause: 'tev_crash1',
          event_id: 'tev_crash1',
          group_key: null,
          slot_at: null,
          status: 'pending',
          reason: null,
          run_id: null,
          lease_until: now - 1,
        })),
      now,
    );
    const fire = res.fires[0];
    assert.ok(fire);
    // Two more routers race the sweep for the same fire.
    await Promise.all([engine.triggers.router.route(fire), engine.triggers.router.route(fire)]);
    await until('the fire started', 10_000, async () =>
      (await engine.triggers.events.getEvent(engine.workspaceId, 'tev_crash1')).fires[0]?.status === 'started' ? true : undefined,
    );
    assert.equal(await count('SELECT COUNT(*) AS n FROM runs WHERE trigger_source_id = ?', [rule.json.id]), 1);
  });

  test('schedules: two engines on one database fire one run per slot; pause; next 5 times; missed slots not fired', async () => {
    const engineB = createEngine({ store: opened.store, producers: createProducerRegistry({ baseDir: dir }), options: FAST, triggers: TRIGGERS });
    engineB.triggers.start();
    try {
      const s = await call('POST', '/v1/schedules', { name: 'tick', cron: '* * * * * *', timezone: 'Europe/Berlin', target: target(), mode: 'dry_run' });
      assert.equal(s.status, 201, s.text);
      const id = String(s.json.id);
      assert.equal((s.json.next_fire_times as string[]).length, 5);
      await until('5 slots fired', 20_000, async () =>
        (await count('SELECT COUNT(*) AS n FROM runs WHERE trigger_source_id = ?', [id])) >= 5 ? true : undefined,
      );
      await call('POST', `/v1/schedules/${id}/pause`);
      await engine.triggers.stop();
      await engineB.triggers.stop();
      const runs = await opened.exec<{ k: string }>('SELECT idempotency_key AS k FROM runs WHERE trigger_source_id = ?', [id]);
      const fires = await opened.exec<{ cause: string; run_id: string }>('SELECT cause, run_id FROM trigger_fires WHERE source_id = ?', [id]);
      assert.equal(new Set(runs.map((r) => r.k)).size, runs.length, 'one run per slot');
      assert.equal(fires.length, runs.length);
      const slots = fires.map((f) => Date.parse(f.cause)).sort((a, b) => a - b);
      for (let i = 1; i < slots.length; i++) assert.equal((slots[i] ?? 0) - (slots[i - 1] ?? 0), 1000, 'no slot skipped while nodes ran');
      const run = await call('GET', `/v1/runs/${fires[0]?.run_id ?? ''}`);
      assert.deepEqual(run.json.trigger, { type: 'schedule', source_id: id, actor: null });
      assert.ok((run.json.tags as string[]).some((t) => t.startsWith('slot:')));
      // Downtime: resume, stop every node for longer than the miss grace, start again.
      const resumed = await call('POST', `/v1/schedules/${id}/resume`);
      assert.equal(resumed.json.status, 'active');
      const stoppedAt = Date.now();
      await until('the downtime passes', 10_000, async () => (Date.now() - stoppedAt > TRIGGERS.missedAfterMs + 1500 ? true : undefined));
      engine.triggers.start();
      const restartedAt = Date.now();
      await until('a slot after the restart', 10_000, async () =>
        (await count('SELECT COUNT(*) AS n FROM trigger_fires WHERE source_id = ? AND slot_at > ?', [id, restartedAt])) > 0 ? true : undefined,
      );
      const missed = await count('SELECT COUNT(*) AS n FROM trigger_fires WHERE source_id = ? AND slot_at > ? AND slot_at < ?', [
        id,
        stoppedAt,
        restartedAt - TRIGGERS.missedAfterMs,
      ]);
      assert.equal(missed, 0, 'slots missed during the downtime are not fired (catch_up none)');
      await call('POST', `/v1/schedules/${id}/pause`);
      assert.deepEqual((await call('GET', `/v1/schedules/${id}`)).json.next_fire_times, []);
    } finally {
      await engineB.triggers.stop();
      engine.triggers.start();
    }
  });

  test('Standard Webhooks: test vector, verified call routes a rule; replayed, stale, tampered, unsigned, oversized refused and recorded', async () => {
    // The vector of the standard-webhooks spec / svix libraries.
    assert.equal(
      signatureMatches(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        '1614265330',
        '{"test": 2432232314}',
        'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
      ),
      true,
    );
    assert.equal(
      signatureMatches(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        '1614265330',
        '{"test": 2432232314} ',
        'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
      ),
      false,
    );
    const hook = await call('POST', '/v1/hooks', { name: 'github', event_name: 'github.push', max_body_bytes: 1024 });
    assert.equal(hook.status, 201, hook.text);
    const hookId = String(hook.json.id);
    const secret = String(hook.json.secret);
    assert.equal(hook.json.url, `${base}/v1/hooks/${hookId}`);
    assert.equal((await call('GET', `/v1/hooks/${hookId}`)).json.secret, undefined);
    const rule = await call('POST', '/v1/rules', {
      name: 'pushes',
      on: 'github.push',
      target: target(),
      prompt: 'Push to {{event.data.ref}}',
      mode: 'dry_run',
    });
    const runsBefore = await count('SELECT COUNT(*) AS n FROM runs WHERE trigger_source_id = ?', [rule.json.id]);
    const deliver = (id: string, body: string, opts: { secret?: string; at?: Date; signedBody?: string; headers?: Record<string, string> } = {}) => {
      const at = opts.at ?? new Date();
      const sig = new Webhook(opts.secret ?? secret).sign(id, at, opts.signedBody ?? body);
      return fetch(`${base}/v1/hooks/${hookId}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': sig,
          ...opts.headers,
        },
        body,
      });
    };
    const ok = await deliver('msg_1', '{"ref":"main"}');
    assert.equal(ok.status, 202, await ok.clone().text());
    const eventId = ((await ok.json()) as { event_id: string }).event_id;
    assert.equal((await deliver('msg_1', '{"ref":"main"}')).status, 409);
    assert.equal((await deliver('msg_2', '{"ref":"main"}', { at: new Date(Date.now() - 301_000) })).status, 401);
    assert.equal((await deliver('msg_3', '{"ref":"main"}', { at: new Date(Date.now() + 301_000) })).status, 401);
    assert.equal((await deliver('msg_4', '{"ref":"evil"}', { signedBody: '{"ref":"main"}' })).status, 401);
    assert.equal((await deliver('msg_5', '{"ref":"main"}', { secret: TriggersSecret() })).status, 401);
    const unsigned = await fetch(`${base}/v1/hooks/${hookId}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(unsigned.status, 401);
    assert.equal((await deliver('msg_6', JSON.stringify({ ref: 'x'.repeat(2000) }))).status, 413);
    assert.equal((await fetch(`${base}/v1/hooks/hook_unknown`, { method: 'POST', body: '{}' })).status, 401);
    const rejections = await call('GET', `/v1/hooks/${hookId}/rejections`);
    assert.deepEqual(((rejections.json.data as Json[]).map((r) => r.reason) as string[]).sort(), [
      'bad_signature',
      'bad_signature',
      'replayed',
      'stale',
      'stale',
      'too_large',
      'unsigned',
    ]);
    // Rotation: the new secret and the previous one are both accepted.
    const rotated = await call('POST', `/v1/hooks/${hookId}/rotate-secret`);
    assert.equal((await deliver('msg_7', '{"ref":"dev"}', { secret: String(rotated.json.secret) })).status, 202);
    assert.equal((await deliver('msg_8', '{"ref":"old"}')).status, 202);
    await until('three hook runs', 10_000, async () =>
      (await count('SELECT COUNT(*) AS n FROM runs WHERE trigger_source_id = ?', [rule.json.id])) === runsBefore + 3 ? true : undefined,
    );
    const ev = await call('GET', `/v1/trigger-events/${eventId}`);
    assert.deepEqual(ev.json.source, { type: 'webhook', id: hookId });
    const run = await call('GET', `/v1/runs/${(ev.json.run_ids as string[])[0] ?? ''}`);
    assert.equal(run.json.prompt, 'Push to main');
    assert.deepEqual(run.json.trigger, { type: 'rule', source_id: rule.json.id, actor: eventId });
  });
});

function TriggersSecret(): string {
  return `whsec_${Buffer.from('another-secret-of-32-bytes-long!').toString('base64')}`;
}
