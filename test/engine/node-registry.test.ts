/**
 * The same-host dead-node check is keyed on the PID namespace (issue 12 part 2), with injected
 * identities: a node of this host whose pid does not exist is only called dead when it ran in
 * this process's PID namespace; another or an unknown namespace is left to lease expiry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { currentPidNamespace, NodeRegistry, sameProcessSpace, type NodeIdentity } from '../../src/engine/node-registry.js';
import { silentLogger } from '../../src/engine/logger.js';
import { systemClock } from '../../src/core/ids.js';
import type { NodeRecord } from '../../src/store/port.js';
import { sqliteStore } from '../helpers/fixtures.js';

/** A pid that no process has: one that just exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const me: NodeIdentity = { hostname: 'host-a', pid: process.pid, pidNamespace: 'pid:[111]' };

test('sameProcessSpace: one host name and the same known namespace', () => {
  assert.equal(sameProcessSpace({ hostname: 'host-a', pid_namespace: 'pid:[111]' }, me), true);
  assert.equal(sameProcessSpace({ hostname: 'host-a', pid_namespace: 'pid:[222]' }, me), false, 'another namespace');
  assert.equal(sameProcessSpace({ hostname: 'host-a', pid_namespace: null }, me), false, 'a node that could not read its namespace');
  assert.equal(sameProcessSpace({ hostname: 'host-a', pid_namespace: 'pid:[111]' }, { ...me, pidNamespace: null }), false, 'we cannot read ours');
  assert.equal(sameProcessSpace({ hostname: 'host-b', pid_namespace: 'pid:[111]' }, me), false, 'another host');
  assert.match(currentPidNamespace() ?? 'pid:[0]', /^pid:\[\d+\]$/);
});

test('expireDeadLocalNodes: a gone pid in our namespace is dead; in another or an unknown one it is not', async () => {
  const store = await sqliteStore();
  const now = systemClock.now();
  const pid = deadPid();
  const row = (id: string, ns: string | null): NodeRecord => ({
    id,
    hostname: 'host-a',
    pid,
    pid_namespace: ns,
    roles: ['executor'],
    capacity: 1,
    started_at: now,
    heartbeat_at: now,
    stopped_at: null,
  });
  await store.upsertNode(row('nod_same', 'pid:[111]'));
  await store.upsertNode(row('nod_other_ns', 'pid:[222]'));
  await store.upsertNode(row('nod_unknown_ns', null));
  const registry = new NodeRegistry({ store, clock: systemClock, logger: silentLogger }, 'nod_me', 1, me);
  assert.equal(await registry.expireDeadLocalNodes(), 1);
  const stopped = new Map((await store.listNodes()).map((n) => [n.id, n.stopped_at !== null]));
  assert.deepEqual(Object.fromEntries(stopped), { nod_same: true, nod_other_ns: false, nod_unknown_ns: false });
  await store.close();
});
