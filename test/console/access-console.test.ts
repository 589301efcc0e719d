/**
 * Console sign-in in a real Chromium against a real `runyard up` (issue 17): the one-time URL
 * the server printed signs in (then works no more); an operator signs in with a token, sees
 * the workspace and role, finds no control it could not use (no import, no add column, no
 * manual run of a js column) and uses the ones it has (run a column, cancel the run); log out
 * returns to the sign-in form, and the API refuses the old cookie.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, screenshot, signInPages } from '../helpers/browser.js';
import { loadCountries, startConsoleServer } from '../helpers/console.js';

test('console: sign in with the printed URL, work as an operator with only usable controls, log out', { timeout: 240_000 }, async (t) => {
  const env = await startConsoleServer(['--no-executor']);
  t.after(() => env.close());
  const { client, browser, server } = env;
  const tableId = await loadCountries(client);
  signInPages(browser, server.url, undefined);

  // The printed one-time URL signs in as the admin and is spent.
  assert.ok(server.loginUrl, 'runyard up printed a login URL');
  const admin = await openPage(browser);
  await admin.page.goto(server.loginUrl);
  await admin.page.getByTestId('role').getByText('admin').waitFor();
  assert.equal(await admin.page.getByTestId('workspace-name').textContent(), 'default');
  assert.ok(!admin.page.url().includes('code='), 'the code left the address bar');
  const again = await openPage(browser);
  await again.page.goto(server.loginUrl);
  await again.page.getByRole('alert').waitFor();
  await again.page.getByRole('heading', { name: 'Sign in to Runyard' }).waitFor();

  // An operator signs in with a token.
  const { secret } = await client.createToken({ name: 'ops', role: 'operator' });
  const op = await openPage(browser);
  await op.page.goto(`${server.url}/tables/${tableId}`);
  await op.page.getByLabel('API token').fill(secret);
  await op.page.getByRole('button', { name: 'Sign in' }).click();
  await op.page.getByTestId('role').getByText('operator').waitFor();
  await op.page.goto(`${server.url}/tables/${tableId}`);
  await op.page.getByRole('button', { name: 'Run column size_class' }).waitFor();
  assert.equal(await op.page.getByRole('link', { name: 'Run size_class with options' }).count(), 0, 'no manual run of a js column');
  assert.equal(await op.page.getByRole('button', { name: 'Add column' }).count(), 0, 'no add-column form');
  await op.page.goto(`${server.url}/tables`);
  await op.page.getByRole('heading', { name: 'Tables' }).first().waitFor();
  assert.equal(await op.page.getByRole('button', { name: 'Import' }).count(), 0, 'no import form');
  await screenshot(op.page, 'console-operator-tables');

  // Its own controls work: start a run, cancel it (the run is queued: no executor).
  await op.page.goto(`${server.url}/tables/${tableId}`);
  await op.page.getByRole('button', { name: 'Run column size_class' }).click();
  await op.page.waitForURL(/\/runs\/run_/);
  await op.page.getByRole('button', { name: 'Cancel run' }).click();
  await op.page.locator('dialog.confirm[open]').getByRole('button', { name: 'Cancel run' }).click();
  await op.page.getByTestId('run-status').getByText('canceled').waitFor();
  const runId = op.page.url().split('/runs/')[1]?.split('?')[0] ?? '';
  assert.equal((await client.getRun(runId)).status, 'canceled');
  const audit = await client.listAudit();
  assert.ok(
    audit.data.some((e) => e.token_name === 'ops' && e.route === '/v1/runs/{run_id}/cancel' && e.outcome === 'ok'),
    'the cancel is audited under the operator token',
  );

  // Log out: back to the sign-in form; the old cookie no longer works.
  const cookies = await op.context.cookies();
  await op.page.getByRole('button', { name: 'Log out' }).click();
  await op.page.getByRole('heading', { name: 'Sign in to Runyard' }).waitFor();
  const session = cookies.find((c) => c.name === 'runyard_session');
  assert.ok(session?.httpOnly && session.sameSite === 'Strict', 'HttpOnly, SameSite=Strict');
  const res = await fetch(`${server.url}/v1/runs`, { headers: { cookie: `runyard_session=${session.value}` } });
  assert.equal(res.status, 401);
  for (const p of [admin, again, op]) p.traps.assertClean();
});
