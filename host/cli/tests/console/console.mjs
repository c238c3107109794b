// The web console in a real browser: headless Debian chromium driven by playwright-core.
// Run by host/cli/tests/cli/console.rs against a live `aiops serve`; exits non-zero with
// a message on the first failed expectation. Screenshots of each page go to $SCREENSHOTS.
import { createRequire } from 'node:module';
import path from 'node:path';

const need = (name) => {
  const v = process.env[name];
  if (!v) { console.error(`console.mjs: ${name} is not set`); process.exit(2); }
  return v;
};
const base = need('AIOPS_URL');
const approver = need('APPROVE_TOKEN');
const reader = need('READ_TOKEN');
const approveKey = need('APPROVE_GROUP');
const rejectKey = need('REJECT_GROUP');
const shots = need('SCREENSHOTS');
const require = createRequire(path.join(need('PLAYWRIGHT_DIR'), 'node_modules', '/'));
const { chromium } = require('playwright-core');

const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

class Failed extends Error {}
function expect(ok, message) {
  if (!ok) throw new Failed(message);
  console.log(`ok: ${message}`);
}
async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}
async function login(context, token) {
  const page = await context.newPage();
  const response = await page.goto(`${base}/login`);
  expect(response.status() === 200, 'the login page answers 200');
  await page.fill('input[name=token]', token);
  await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
  return page;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
let failed = false;
try {
  // Not logged in: sent to the login page; every response has the strict headers.
  const anon = await browser.newContext();
  const first = await anon.newPage();
  const loginResponse = await first.goto(`${base}/`);
  expect(first.url() === `${base}/login`, 'an anonymous visit lands on /login');
  const headers = loginResponse.headers();
  expect(headers['content-security-policy'] === CSP, `the CSP header is ${CSP}`);
  expect(headers['x-content-type-options'] === 'nosniff', 'X-Content-Type-Options: nosniff');
  expect(headers['referrer-policy'] === 'no-referrer', 'Referrer-Policy: no-referrer');
  await shot(first, 'login');
  await first.fill('input[name=token]', 'not-a-token-at-all-0123');
  await first.click('button[type=submit]');
  expect((await first.textContent('.problem')).includes('unknown token'), 'a wrong token is refused');
  await anon.close();

  // An approver.
  const context = await browser.newContext();
  const page = await login(context, approver);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'aiops_session');
  expect(session && session.httpOnly && session.sameSite === 'Strict', 'the session cookie is HttpOnly, SameSite=Strict');
  expect(!session.value.includes(approver), 'the cookie does not hold the token');
  const counts = await page.$$eval('.counts span', (els) => els.map((e) => e.textContent));
  expect(counts.length === 5 && counts.some((c) => /: [1-9]/.test(c)), `severity counts shown: ${counts.join(', ')}`);
  const rows = await page.$$('#findings tbody tr');
  expect(rows.length > 0, `findings listed (${rows.length})`);
  await shot(page, 'findings');
  // The severity filter keeps only that severity.
  await page.selectOption('select[name=severity]', 'medium');
  await Promise.all([page.waitForURL(/severity=medium/), page.click('form.filters button')]);
  const severities = await page.$$eval('#findings tbody tr td:first-child', (els) => els.map((e) => e.textContent.trim()));
  expect(severities.length > 0 && severities.every((s) => s === 'medium'), 'the severity filter shows only medium findings');
  await shot(page, 'findings-medium');

  // A finding's detail.
  await Promise.all([page.waitForURL(/\/findings\//), page.click('#findings tbody tr a')]);
  expect(await page.isVisible('#evidence'), 'a finding shows its evidence');
  const history = await page.$$('#history tbody tr');
  expect(history.length > 0, 'a finding shows its history');
  await shot(page, 'finding');

  // Pending approvals with their diff.
  await page.goto(`${base}/approvals`);
  const section = (key) => page.locator(`section.approval[data-group="${key}"]`);
  expect(await section(approveKey).count() === 1, `${approveKey} awaits approval`);
  expect(await section(rejectKey).count() === 1, `${rejectKey} awaits approval`);
  const diff = await section(approveKey).locator('pre.diff').textContent();
  expect(diff.includes('@@') && /\n\+/.test(diff), 'the approval shows its diff');
  await shot(page, 'approvals');
  const idOf = async (key) => (await section(key).getAttribute('id')).slice(1);
  const approveId = await idOf(approveKey);
  const rejectId = await idOf(rejectKey);
  const csrf = await section(approveKey).locator('input[name=csrf]').first().inputValue();

  // Forged and incomplete POSTs are refused.
  let r = await page.request.post(`${base}/approvals/${approveId}/approve`, { form: { reason: 'forged' }, maxRedirects: 0 });
  expect(r.status() === 403, `a POST without the CSRF token is refused (${r.status()})`);
  r = await page.request.post(`${base}/approvals/${approveId}/approve`, { form: { csrf: 'f'.repeat(64) }, maxRedirects: 0 });
  expect(r.status() === 403, `a POST with a wrong CSRF token is refused (${r.status()})`);
  r = await page.request.post(`${base}/approvals/${rejectId}/reject`, { form: { csrf, reason: '  ' }, maxRedirects: 0 });
  expect(r.status() === 400 && (await r.text()).includes('needs a reason'), `a rejection without a reason is refused (${r.status()})`);
  expect(r.headers()['content-security-policy'] === CSP, 'an error page has the CSP header too');

  // Approve one: merged.
  await section(approveKey).locator('input[name=reason]').fill('reviewed in the console');
  await Promise.all([page.waitForURL(/\/remediations/), section(approveKey).locator('form.approve button').click()]);
  const state = async (id) => (await page.locator(`#r${id} td.state`).textContent()).trim();
  expect(await state(approveId) === 'merged', `remediation ${approveId} shows merged`);

  // Reject another, with a reason.
  await page.goto(`${base}/approvals`);
  expect(await section(approveKey).count() === 0, 'the approved one no longer awaits');
  await section(rejectKey).locator('textarea[name=reason]').fill('not now: freeze week');
  await Promise.all([page.waitForURL(/\/remediations/), section(rejectKey).locator('form.reject button').click()]);
  expect(await state(rejectId) === 'rejected', `remediation ${rejectId} shows rejected`);
  expect((await page.locator(`#r${rejectId}`).textContent()).includes('not now: freeze week'), 'the rejection shows its reason');
  await shot(page, 'remediations');

  await page.goto(`${base}/plugins`);
  expect(await page.locator('#plugins tr[data-status=loaded]').count() > 0, 'plugins listed as loaded');
  expect(await page.locator('#plugins tr[data-status=failed] td.problem').count() > 0, 'a failed plugin shows its error');
  expect(await page.locator('#plugins tr[data-status=loaded] td.calls').evaluateAll((cells) => cells.some((c) => Number(c.textContent) > 0)), 'a loaded plugin shows its calls');
  await shot(page, 'plugins');
  await page.goto(`${base}/cycles`);
  expect(await page.locator('#cycles tbody tr').count() > 0, 'cycles listed');
  await shot(page, 'cycles');
  const notFound = await page.goto(`${base}/findings/ffffffffffffffff`);
  expect(notFound.status() === 404 && (await page.textContent('h1')).includes('404'), 'an unknown finding is a 404 page');
  await shot(page, 'not-found');

  // Log out (from a page of the console: error pages carry no session controls).
  await page.goto(`${base}/`);
  await Promise.all([page.waitForURL(`${base}/login`), page.click('form.logout button')]);
  await page.goto(`${base}/approvals`);
  expect(page.url() === `${base}/login`, 'after logout the console asks to log in again');
  await context.close();

  // A read-only token sees approvals but cannot decide.
  const readContext = await browser.newContext();
  const readPage = await login(readContext, reader);
  await readPage.goto(`${base}/approvals`);
  expect(await readPage.locator('form.approve').count() === 0, 'a read token is shown no Approve button');
  await shot(readPage, 'approvals-read-only');
  const readCsrf = await readPage.locator('form.logout input[name=csrf]').inputValue();
  r = await readPage.request.post(`${base}/approvals/${approveId}/approve`, { form: { csrf: readCsrf }, maxRedirects: 0 });
  expect(r.status() === 403 && (await r.text()).includes('read role'), `a read token cannot approve (${r.status()})`);
  await readContext.close();
} catch (err) {
  failed = true;
  console.error(err instanceof Failed ? `FAILED: ${err.message}` : `FAILED: ${err.stack || err}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
