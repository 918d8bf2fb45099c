// End-to-end browser tests of the acta page (web/), against the real binary.
//
// Starts `acta serve --demo` on a temporary database and a free port, drives Debian's Chromium
// through playwright-core, and checks what the page shows against the Đồng Nai demo figures of
// data/demo/EXPECTED.md. Every assertion reads the page, not the API (the API is used only to
// create the auditor's token and, in step 8, to record the events whose sums pass 2^53 − 1). Screenshots go to target/browser-screenshots/NN-step.png.
//
// Run from the repository root: `node --test web/tests/` (after `npm ci` in web/tests and
// `cargo build --release`), or `.ci/browser-tests`, which installs what is missing.
//
// Environment: ACTA_BIN (default target/release/acta), ACTA_CHROMIUM (default /usr/bin/chromium).
//
// The steps share one browser page and build on each other (sign in, move in time, record, ...),
// so a step after a failed one is skipped rather than failing for the same reason. The last step
// (accessibility and phone width) uses a page of its own and always runs.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ACTA_BIN = process.env.ACTA_BIN ? resolve(process.env.ACTA_BIN) : join(ROOT, 'target', 'release', 'acta');
const CHROMIUM = process.env.ACTA_CHROMIUM || '/usr/bin/chromium';
const PDFTOTEXT = process.env.ACTA_PDFTOTEXT || 'pdftotext';
const SHOTS = join(ROOT, 'target', 'browser-screenshots');

/** How long one wait (a selector, a text, a URL, the panels settling) may take. */
const WAIT_MS = 30_000;
/** How long one step may take in all (several waits, on a slow shared 2-core machine). */
const STEP_MS = 180_000;
/** Starting the server (loading the demo) and the browser. */
const SETUP_MS = 120_000;

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** The demo's plans and their parents (EXPECTED.md §1, no as_of). */
const DEMO_PLANS = {
  'vn-sxsh-2020': null,
  'dn-sxsh': 'vn-sxsh-2020',
  'dn-sxsh-2015': 'dn-sxsh',
  'dn-kh-2013': 'dn-sxsh-2015',
  'dn-kh-2014': 'dn-sxsh-2015',
  'dn-kh-2015': 'dn-sxsh-2015',
};
const DEMO_STATUS = {
  'vn-sxsh-2020': 'approved',
  'dn-sxsh': 'draft',
  'dn-sxsh-2015': 'approved',
  'dn-kh-2013': 'approved',
  'dn-kh-2014': 'approved',
  'dn-kh-2015': 'submitted',
};
/** The panels that load from the API and set aria-busy while they do. */
const PANELS = ['plans-panel', 'detail-panel', 'funding-panel', 'replay-panel', 'yearly-panel', 'recon-panel', 'log-panel'];
/** What those panels draw into. */
const PANEL_HOSTS = ['plan-tree', 'plan-detail', 'funding', 'replay', 'yearly', 'reconciliation', 'event-log'];

// ----- The server ----------------------------------------------------------------------------

/**
 * Starts `acta serve --demo` and resolves once it has printed the admin token (stdout, alone)
 * and `acta: serving FILE on http://ADDR` (stderr).
 */
function startServer(db) {
  return new Promise((resolveStart, rejectStart) => {
    const child = spawn(ACTA_BIN, ['serve', '--demo', '--db', db, '--addr', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    const server = { child, token: null, base: null, stdout: '', stderr: '', exited: null };
    let settled = false;
    const timer = setTimeout(() => fail(new Error(`the server did not start within ${SETUP_MS / 1000} s`)), SETUP_MS);
    const fail = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      rejectStart(new Error(`${error.message}\n--- ${ACTA_BIN} stderr ---\n${server.stderr}`));
    };
    const check = () => {
      if (settled || !server.token || !server.base) return;
      settled = true;
      clearTimeout(timer);
      resolveStart(server);
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      server.stdout += chunk;
      // The token is the first line, once it is complete.
      const newline = server.stdout.indexOf('\n');
      if (!server.token && newline >= 0) {
        server.token = server.stdout.slice(0, newline).trim();
        if (!server.token || /\s/.test(server.token)) fail(new Error(`stdout's first line is not a token: ${JSON.stringify(server.token)}`));
        check();
      }
    });
    child.stderr.on('data', (chunk) => {
      server.stderr += chunk;
      // The whole line: a chunk may end in the middle of the port.
      const match = /^acta: serving .* on (http:\/\/\S+)\r?\n/m.exec(server.stderr);
      if (!server.base && match) {
        server.base = match[1].replace(/\/$/, '');
        check();
      }
    });
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      server.exited = code ?? signal;
      fail(new Error(`the server exited before it was ready (${code ?? signal})`));
    });
  });
}

async function stopServer(server) {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function createToken(server, name, role) {
  const response = await fetch(`${server.base}/v1/tokens`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, role }),
  });
  const body = await response.json().catch(() => null);
  assert.equal(response.status, 201, `POST /v1/tokens: ${JSON.stringify(body)}`);
  assert.equal(typeof body?.token, 'string', 'POST /v1/tokens answers with the token');
  return body.token;
}

/** Records one request-shaped event through the API with the admin token; resolves to the stored event. */
async function postEvent(server, event) {
  const response = await fetch(`${server.base}/v1/events`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(event),
  });
  // Stored events carry amounts of at most 2^53 − 1 (CONTRACT §1), so JSON.parse is exact here.
  const body = await response.json().catch(() => null);
  assert.equal(response.status, 201, `POST /v1/events ${event.type}: ${JSON.stringify(body)}`);
  return body;
}

// ----- Page helpers ------------------------------------------------------------------------------

/** The text of a PDF, by poppler's pdftotext. */
function pdfText(path) {
  const result = spawnSync(PDFTOTEXT, [path, '-'], { encoding: 'utf8' });
  assert.equal(result.status, 0, `${PDFTOTEXT} ${path}: ${result.error?.message ?? result.stderr}`);
  return result.stdout;
}

async function shot(page, name, options = {}) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true, ...options });
}

/** Waits until every panel has loaded (aria-busy="false", set once its answer is drawn). */
async function panelsSettled(page) {
  await page.waitForFunction((ids) => ids.every((id) => document.getElementById(id)?.getAttribute('aria-busy') === 'false'), PANELS);
}

/**
 * After sign-in: every panel has drawn something and none is loading. (aria-busy alone is not
 * enough there: after a sign-out the panels are emptied but keep aria-busy="false" until the
 * next sign-in has fetched the plan list and asks again.)
 */
async function panelsDrawn(page) {
  await page.waitForFunction(([ids, hosts]) =>
    ids.every((id) => document.getElementById(id)?.getAttribute('aria-busy') === 'false')
    && hosts.every((id) => document.getElementById(id)?.childElementCount > 0), [PANELS, PANEL_HOSTS]);
}

const normalize = (text) => (text ?? '').replace(/\s+/g, ' ').trim();

/** Waits until the first element matching `selector` has exactly the text `expected` (whitespace-normalized). */
async function expectText(page, selector, expected, what = selector) {
  try {
    await page.waitForFunction(([sel, want]) => {
      const el = document.querySelector(sel);
      return el !== null && el.textContent.replace(/\s+/g, ' ').trim() === want;
    }, [selector, expected]);
  } catch (error) {
    if (!/Timeout/i.test(error.message)) throw error;
    const actual = await page.locator(selector).first().textContent({ timeout: 1000 }).catch(() => null);
    assert.equal(actual === null ? '(no such element)' : normalize(actual), expected, `${what} (${selector})`);
  }
}

/** Waits until the page's URL satisfies `test(url)`; a failure names the URL it had. */
async function expectUrl(page, test, what) {
  try {
    await page.waitForURL((url) => test(new URL(url)));
  } catch (error) {
    if (!/Timeout/i.test(error.message)) throw error;
    assert.fail(`${what}: the URL is ${page.url()}`);
  }
}

/** The text of a cell holding a formatted integer (`1.276`) as a Number. */
async function intOf(locator) {
  const text = normalize(await locator.textContent());
  assert.match(text, /^-?\d{1,3}(\.\d{3})*$/, `a formatted integer: ${JSON.stringify(text)}`);
  return Number(text.replace(/\./g, ''));
}

async function planTree(page) {
  return page.locator('#plan-tree [data-testid=plan-node]').evaluateAll((buttons) => buttons.map((button) => ({
    plan: button.dataset.plan,
    status: button.querySelector('[data-testid=plan-status]')?.dataset.status ?? null,
    parent: button.parentElement.parentElement.closest('li')?.querySelector(':scope > [data-testid=plan-node]')?.dataset.plan ?? null,
  })));
}

async function signIn(page, token, who) {
  await page.locator('#sign-in-panel').waitFor({ state: 'visible' });
  await page.locator('#token').fill(token);
  await page.locator('#sign-in').click();
  await page.locator('#workspace').waitFor({ state: 'visible' });
  await expectText(page, '#sign-in-error', '', 'no sign-in error');
  await page.waitForFunction((name) => document.getElementById('whoami').textContent.includes(name), who);
  await panelsDrawn(page);
}

function yearlyCell(page, year, field) {
  return page.locator(`#yearly [data-testid=yearly-row][data-year="${year}"] td[data-field="${field}"]`);
}

/** Uncaught exceptions of the page's scripts, and what its Content-Security-Policy blocked, collected per page. */
function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.stack || String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('Content Security Policy')) errors.push(message.text());
  });
  return errors;
}

// ----- The tests ---------------------------------------------------------------------------------

describe('acta page, end to end (real server, Đồng Nai demo)', { timeout: 30 * 60_000 }, () => {
  let workDir;
  let server;
  let auditorToken;
  let context;
  let page;
  let pageErrors;
  /** The page a step's screenshot shows (step 7 works in a page of its own). */
  let shown;
  let failed = null;

  before(async () => {
    assert.ok(existsSync(ACTA_BIN), `${ACTA_BIN} is missing: run \`cargo build --release\` or set ACTA_BIN`);
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: \`apt-get install chromium\` or set ACTA_CHROMIUM`);
    mkdirSync(SHOTS, { recursive: true });
    workDir = mkdtempSync(join(tmpdir(), 'acta-browser-'));
    server = await startServer(join(workDir, 'acta.db'));
    // Should the test process end before `after` runs, the server and the files go with it.
    process.once('exit', () => {
      server?.child.kill('SIGKILL');
      rmSync(workDir, { recursive: true, force: true });
    });
    for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) {
      process.once(signal, () => process.exit(128 + number));
    }
    auditorToken = await createToken(server, 'auditor-test', 'auditor');
    context = await chromium.launchPersistentContext(join(workDir, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      // An English-locale browser: the page's own handling of dates is what is tested (a
      // `type=date` input would follow this locale and read 05/06/2015 as 6 May).
      locale: 'en-US',
      timezoneId: 'Asia/Ho_Chi_Minh',
      timeout: SETUP_MS,
    });
    context.setDefaultTimeout(WAIT_MS);
    context.setDefaultNavigationTimeout(WAIT_MS);
    page = context.pages()[0] ?? await context.newPage();
    pageErrors = watchErrors(page);
    shown = page;
  }, { timeout: SETUP_MS * 2 });

  after(async () => {
    await context?.close().catch(() => {});
    if (server) {
      await stopServer(server);
      if (existsSync(SHOTS)) writeFileSync(join(SHOTS, 'server.log'), server.stderr);
    }
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  /**
   * One step of the walk, ending with the screenshot NN-name.png (NN-name-FAILED.png when it
   * fails). A step after a failed one is skipped, unless it is independent.
   */
  const step = (number, name, title, body, { independent = false } = {}) => {
    const tag = `${String(number).padStart(2, '0')}-${name}`;
    it(`${tag}: ${title}`, { timeout: STEP_MS }, async (t) => {
      if (failed && !independent) return t.skip(`step ${failed} failed`);
      shown = page;
      try {
        await body(tag);
        assert.deepEqual(pageErrors.splice(0), [], 'no uncaught errors in the page during this step');
        await shot(shown, tag);
      } catch (error) {
        failed ??= tag;
        await shot(shown, `${tag}-FAILED`).catch(() => {});
        throw error;
      } finally {
        if (shown !== page) await shown.close().catch(() => {});
        shown = page;
      }
    });
  };

  step(1, 'sign-in', 'signing in with the admin token shows the demo plans', async () => {
    await page.goto(`${server.base}/`);
    await page.locator('#token').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#workspace').isVisible(), false, 'the workspace is hidden before sign-in');

    await signIn(page, server.token, 'admin');
    assert.equal(await page.locator('#sign-in-panel').isVisible(), false, 'the sign-in form is gone');
    assert.equal(await page.locator('#sign-out').isVisible(), true, 'a sign-out button is shown');

    const tree = await planTree(page);
    assert.deepEqual(
      Object.fromEntries(tree.map(({ plan, parent }) => [plan, parent])),
      DEMO_PLANS,
      'the plan tree holds the six demo plans, nested by parent',
    );
    assert.equal(tree.length, 6, 'each plan appears once');
    assert.deepEqual(Object.fromEntries(tree.map(({ plan, status }) => [plan, status])), DEMO_STATUS, 'status badges');
    assert.equal(await page.locator('[data-testid=plan-all]').getAttribute('aria-current'), 'true', '"whole record" is selected');
  });

  step(2, 'as-of-2012-restored', 'moving to 2012-12-31 shows only the 2011 central funding, in the URL too', async () => {
    // The slider, by keyboard: Home is its first year (2009), three steps right is 2012.
    const slider = page.locator('#as-of-year');
    await slider.focus();
    await slider.press('Home');
    for (let i = 0; i < 3; i++) await slider.press('ArrowRight');
    await expectText(page, '#as-of-year-value', '31/12/2012', 'the slider shows its date, the Vietnamese way');
    assert.equal(await page.locator('#as-of').inputValue(), '31/12/2012', 'the date field follows the slider');
    await expectText(page, '#as-of-hint', '= ngày 31 tháng 12 năm 2012', 'the date spelled out beside the field');

    await expectUrl(page, (url) => url.searchParams.get('as_of') === '2012-12-31', 'the URL carries as_of=2012-12-31');
    await panelsSettled(page);
    await expectText(page, '[data-testid=funding-total-budget]', '90.000.000 ₫', 'budget at 2012-12-31');
    await expectText(page, '[data-testid=funding-total-allocated]', '90.000.000 ₫', 'allocated at 2012-12-31');
    await expectText(page, '[data-testid=funding-total-planned]', '0 ₫', 'planned at 2012-12-31');
    const bars = await page.locator('[data-testid=funding-chart] rect[data-year]').evaluateAll(
      (rects) => [...new Set(rects.map((r) => `${r.dataset.year} ${r.dataset.source}`))]);
    assert.deepEqual(bars, ['2011 central'], 'the chart has only the 2011 central funding');
    assert.deepEqual((await planTree(page)).map((p) => p.plan).sort(), ['dn-sxsh', 'dn-sxsh-2015', 'vn-sxsh-2020'],
      'only the plans registered by 2012-12-31');
    assert.deepEqual(
      await page.locator('#yearly [data-testid=yearly-row]').evaluateAll((rows) => rows.map((r) => r.dataset.year)),
      ['2009', '2010', '2011', '2012'], 'the yearly summary runs to 2012');
    const url = page.url();
    assert.equal(await page.locator('#permalink').getAttribute('href'), url, 'the permalink is the URL');

    // The URL, loaded in a new page, restores the view (after sign-in: the token is not in the URL).
    await shot(page, '02-as-of-2012');
    const other = await context.newPage();
    shown = other;
    const otherErrors = watchErrors(other);
    await other.goto(url);
    await signIn(other, server.token, 'admin');
    await expectUrl(other, (u) => u.searchParams.get('as_of') === '2012-12-31', 'the new page keeps as_of');
    await expectText(other, '#as-of-year-value', '31/12/2012', 'restored slider');
    assert.equal(await other.locator('#as-of').inputValue(), '31/12/2012', 'restored date field');
    await expectText(other, '[data-testid=funding-total-budget]', '90.000.000 ₫', 'restored budget');
    assert.deepEqual((await planTree(other)).map((p) => p.plan).sort(), ['dn-sxsh', 'dn-sxsh-2015', 'vn-sxsh-2020'],
      'restored plan tree');
    assert.deepEqual(otherErrors, [], 'no uncaught errors in the new page');
    // The step's screenshot (02-as-of-2012-restored.png) shows this page; the wrapper closes it.
  });

  step(3, 'whole-record', 'clearing the date shows the words-versus-figures error and the grand total', async () => {
    await page.locator('#clear-as-of').click();
    await expectUrl(page, (url) => !url.searchParams.has('as_of'), 'the URL loses as_of');
    await panelsSettled(page);
    assert.equal(await page.locator('#as-of').inputValue(), '', 'the date picker is empty');
    await expectText(page, '[data-testid=funding-total-budget]', '1.276.000.000 ₫', 'grand total');
    await expectText(page, '[data-testid=funding-total-planned]', '520.000.000 ₫', 'planned');
    await expectText(page, '[data-testid=funding-total-disbursed]', '756.000.000 ₫', 'disbursed');
    await expectText(page, '[data-testid=budget-in-words]', 'Một tỷ hai trăm bảy mươi sáu triệu đồng', 'budget in words');

    // The view date typed the Vietnamese way, in an English-locale browser: day first.
    const asOf = page.locator('#as-of');
    await asOf.fill('31/12/2012');
    await expectText(page, '#as-of-hint', '= ngày 31 tháng 12 năm 2012', 'understood before anything is asked');
    await asOf.press('Enter');
    await expectUrl(page, (url) => url.searchParams.get('as_of') === '2012-12-31', '31/12/2012 is as_of=2012-12-31');
    await panelsSettled(page);
    await expectText(page, '[data-testid=funding-total-budget]', '90.000.000 ₫', 'the record of 2012-12-31');
    // What is no day is refused on the field, and the view stays where it was.
    await asOf.fill('12/31/2012');
    await expectText(page, '#as-of-hint', 'Chưa đọc được ngày: viết ngày/tháng/năm, ví dụ 05/06/2015.', 'not understood');
    await asOf.press('Enter');
    await page.locator('#as-of-error').waitFor({ state: 'visible' });
    assert.match(normalize(await page.locator('#as-of-error').textContent()), /12\/31\/2012/, 'the error names what was typed');
    assert.equal(await asOf.getAttribute('aria-invalid'), 'true', 'the field is marked invalid');
    assert.equal(new URL(page.url()).searchParams.get('as_of'), '2012-12-31', 'the view did not move');
    await page.locator('#clear-as-of').click();
    await expectUrl(page, (url) => !url.searchParams.has('as_of'), 'the URL loses as_of again');
    await panelsSettled(page);
    await expectText(page, '[data-testid=funding-total-budget]', '1.276.000.000 ₫', 'grand total again');
    assert.equal(await asOf.getAttribute('aria-invalid'), null, 'clearing clears the error');

    const words = page.locator('#reconciliation [data-testid=finding][data-kind=words_mismatch]');
    await words.waitFor({ state: 'visible' });
    assert.equal(await words.count(), 1, 'one words_mismatch finding');
    assert.equal(await words.getAttribute('data-severity'), 'error');
    assert.equal(normalize(await words.locator('[data-field=expected]').textContent()), '1.276.000.000 ₫', 'the figures');
    assert.equal(normalize(await words.locator('[data-field=actual]').textContent()), '1.198.085.000 ₫', 'what the words say');
    assert.equal(normalize(await words.locator('[data-field=difference]').textContent()), '-77.915.000 ₫', 'the difference');

    assert.equal(await page.locator('[data-testid=recon-status]').getAttribute('data-ok'), 'false', 'not ok');
    const findings = await page.locator('#reconciliation [data-testid=finding]').evaluateAll(
      (items) => items.map((f) => ({ kind: f.dataset.kind, severity: f.dataset.severity })));
    const severities = findings.map((f) => f.severity);
    assert.ok(severities.includes('warning'), 'there are warnings too (missed targets)');
    assert.deepEqual(severities, [...severities].sort((a, b) => (a === 'error' ? 0 : 1) - (b === 'error' ? 0 : 1)),
      `errors are listed first: ${severities.join(', ')}`);
    assert.deepEqual(findings.filter((f) => f.severity === 'error').map((f) => f.kind).sort(),
      ['breakdown_mismatch', 'words_mismatch'], 'the two errors of the demo');
  });

  step(4, 'record-training', 'recording a training through the form shows in the yearly summary', async () => {
    const row = (field) => yearlyCell(page, 2015, field);
    const total = (field) => page.locator(`#yearly [data-testid=yearly-total] td[data-field="${field}"]`);
    const before = {
      events: await intOf(row('training-events')),
      sessions: await intOf(row('training-sessions')),
      participants: await intOf(row('training-participants')),
      totalParticipants: await intOf(total('training-participants')),
    };
    assert.deepEqual(before, { events: 0, sessions: 0, participants: 0, totalParticipants: 660 }, 'the demo\'s 2015 row and total');

    await page.locator('#record-type').selectOption('training.held');
    const form = page.locator('#record-fields');
    await form.locator('[name="data.topic"]').waitFor({ state: 'visible' });
    await form.locator('[name=plan]').selectOption('dn-kh-2015');
    // Day first, in an English-locale browser: 5 June, not 6 May.
    await form.locator('[name=occurred_on]').fill('05/06/2015');
    await expectText(page, '#record-fields [data-field=occurred_on] [data-testid=understood]', '= ngày 5 tháng 6 năm 2015',
      'the date understood, before sending');
    await form.locator('[name=date_precision]').selectOption('day');
    await form.locator('[name="evidence.document"]').fill('Browser test (web/tests)');
    await form.locator('[name="data.topic"]').fill('cleaner_production');
    await form.locator('[name="data.sessions"]').fill('1');
    await form.locator('[name="data.participants"]').fill('40');
    await page.locator('#record-submit').click();

    const result = page.locator('[data-testid=record-result] button[data-event]');
    try {
      await result.waitFor({ state: 'visible' });
    } catch (error) {
      const problems = await page.locator('#record-fields [data-testid=form-error], #record-fields [data-testid=field-error]:visible')
        .allTextContents().catch(() => []);
      assert.fail(`no success message after submitting; the form says: ${JSON.stringify(problems.map(normalize))}`);
    }
    const eventId = await result.getAttribute('data-event');
    const said = normalize(await page.locator('[data-testid=record-result]').textContent());
    assert.match(said, new RegExp(eventId), 'the message names the event');
    for (const fact of ['training.held', 'dn-kh-2015', 'ngày 5 tháng 6 năm 2015']) {
      assert.ok(said.includes(fact), `the message repeats what was stored (${fact}): ${said}`);
    }

    await panelsSettled(page);
    await expectText(page, '#yearly [data-testid=yearly-row][data-year="2015"] td[data-field="training-events"]', '1', '2015 training events');
    await expectText(page, '#yearly [data-testid=yearly-row][data-year="2015"] td[data-field="training-sessions"]', '1', '2015 training sessions');
    await expectText(page, '#yearly [data-testid=yearly-row][data-year="2015"] td[data-field="training-participants"]', '40', '2015 participants');
    await expectText(page, '#yearly [data-testid=yearly-total] td[data-field="training-participants"]', '700', 'total participants');

    // The form is fresh for the next event of the same type and keeps the shared fields.
    assert.equal(await page.locator('#record-type').inputValue(), 'training.held');
    assert.equal(await form.locator('[name=plan]').inputValue(), 'dn-kh-2015', 'the plan is kept');
    assert.equal(await form.locator('[name="data.sessions"]').inputValue(), '', 'the data fields are emptied');

    // The stored event, opened from the success message.
    await result.click();
    const detail = page.locator('[data-testid=event-detail]');
    await detail.locator('[data-testid=event-fields]').waitFor({ state: 'visible' });
    const data = JSON.parse(await detail.locator('[data-testid=event-data]').textContent());
    assert.deepEqual(data, { topic: 'cleaner_production', sessions: 1, participants: 40 }, 'the stored data');
    // The data as labelled fields in the page's language; the raw JSON behind a toggle.
    const fields = detail.locator('[data-testid=event-fields]');
    assert.equal(normalize(await fields.locator('[data-key=sessions] dt').textContent()), 'Số lớp sessions', 'a field\'s label, with its key');
    assert.equal(normalize(await fields.locator('[data-key=participants] dd').textContent()), '40', 'its value');
    assert.equal(await detail.locator('[data-testid=event-data]').isVisible(), false, 'the raw JSON is behind a toggle');
    const detailText = normalize(await detail.textContent());
    for (const fact of [eventId, 'dn-kh-2015', '05/06/2015', 'training.held']) assert.ok(detailText.includes(fact), `the detail shows ${fact}`);
    assert.equal(await detail.locator('[data-testid=event-occurred-on]').getAttribute('datetime'), '2015-06-05', 'stored as 2015-06-05');
    assert.equal(await detail.locator('[data-testid=correct-event]').isVisible(), true, 'an admin may correct it');
    assert.equal(await detail.locator('[data-testid=retract-event]').isVisible(), true, 'an admin may retract it');
  });

  step(5, 'bad-amount', 'a bad amount gets the server\'s error beside the amount field, typed values kept', async () => {
    await page.locator('#record-type').selectOption('funds.disbursed');
    const form = page.locator('#record-fields');
    const amount = form.locator('[name="data.amount"]');
    await amount.waitFor({ state: 'visible' });
    const typed = {
      plan: 'dn-kh-2015', occurred_on: '2015-06-01', 'evidence.document': 'Browser test (web/tests)',
      'data.fiscal_year': '2015', 'data.source': 'local',
    };
    await form.locator('[name=plan]').selectOption(typed.plan);
    await form.locator('[name="data.source"]').selectOption(typed['data.source']);
    for (const name of ['occurred_on', 'evidence.document', 'data.fiscal_year']) await form.locator(`[name="${name}"]`).fill(typed[name]);

    for (const [bad, kind] of [['12.5', 'fraction'], ['-3', 'negative']]) {
      await amount.fill(bad);
      await page.locator('#record-submit').click();
      const slot = form.locator('[data-field="data.amount"] [data-testid=field-error]');
      try {
        await page.waitForFunction(() => {
          const el = document.querySelector('#record-fields [data-field="data.amount"] [data-testid=field-error]');
          return el && !el.hidden && el.textContent.trim() !== '';
        });
      } catch (error) {
        if (!/Timeout/i.test(error.message)) throw error;
        const said = await page.locator('#record-form [data-testid=form-error], #record-form [data-testid=record-result]')
          .allTextContents().catch(() => []);
        assert.fail(`${bad}: no error beside the amount field; the form says ${JSON.stringify(said.map(normalize).filter(Boolean))}`);
      }
      const errorId = await slot.getAttribute('id');
      assert.ok(errorId, 'the error slot has an id');
      // The page is in Vietnamese, so is the server's error it shows (Accept-Language: vi).
      const said = normalize(await slot.textContent());
      assert.match(said, /[ăâđêôơưàáạảãầấậẩẫằắặẳẵèéẹẻẽềếệểễìíịỉĩòóọỏõồốộổỗờớợởỡùúụủũừứựửữỳýỵỷỹ]/iu, `${bad}: the error is in Vietnamese: ${said}`);
      assert.doesNotMatch(said, /\b(must|got|integer)\b/, `${bad}: no English in the Vietnamese error: ${said}`);
      assert.equal(await amount.getAttribute('aria-invalid'), 'true', `${bad}: the amount is marked invalid`);
      assert.ok((await amount.getAttribute('aria-describedby') ?? '').split(/\s+/).includes(errorId),
        `${bad}: the amount field is described by its error`);
      assert.ok(await amount.evaluate((el) => el === document.activeElement), `${bad}: focus is on the amount`);
      assert.equal(await form.locator('[data-testid=field-error]:visible').count(), 1, `${bad}: only the amount has an error`);
      await form.locator('[data-testid=form-error]').waitFor({ state: 'visible' });
      assert.equal(normalize(await page.locator('[data-testid=record-result]').textContent()), '', `${bad}: no success message`);

      assert.equal(await amount.inputValue(), bad, `${bad}: the amount is kept as typed`);
      for (const [name, value] of Object.entries(typed)) {
        assert.equal(await form.locator(`[name="${name}"]`).inputValue(), value, `${bad}: ${name} is kept`);
      }
      await shot(page, `05-bad-amount-${kind}`);
    }
  });

  step(6, 'auditor', 'an auditor sees the data but no recording form and no correct/retract', async () => {
    await page.locator('#sign-out').click();
    await page.locator('#sign-in-panel').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#workspace').isVisible(), false, 'signed out: the workspace is hidden');

    await signIn(page, auditorToken, 'auditor-test');
    assert.equal(await page.locator('#record-panel').isVisible(), false, 'no recording panel');
    assert.equal(await page.locator('#record-form').isVisible(), false, 'no recording form');
    assert.equal(await page.locator('#record-submit').isVisible(), false, 'no record button');
    assert.equal(await page.locator('#record-fields :is(input, select, textarea)').count(), 0, 'no recording fields');

    assert.equal((await planTree(page)).length, 6, 'the plan tree');
    await expectText(page, '[data-testid=funding-total-budget]', '1.276.000.000 ₫', 'the grand total');
    await expectText(page, '#yearly [data-testid=yearly-row][data-year="2015"] td[data-field="training-participants"]', '40',
      'the admin\'s training is in the auditor\'s summary');
    assert.equal(await page.locator('#event-log [data-testid=event-row]').count(), 50, 'the event log\'s first page');
    assert.match(normalize(await page.locator('#event-log th[data-column="event.recorded_at"]').textContent()), /\(Asia\/(Ho_Chi_Minh|Saigon)\)$/,
      'recorded-at times are local, the zone named');

    // Opening an event (here, the one behind the words finding) offers no correction.
    await page.locator('#reconciliation [data-kind=words_mismatch] button[data-event]').click();
    const detail = page.locator('[data-testid=event-detail]');
    await detail.locator('[data-testid=event-fields]').waitFor({ state: 'visible' });
    assert.match(await detail.locator('[data-testid=event-data]').textContent(), /1276000000/, 'the claim\'s data');
    assert.equal(await page.locator('[data-testid=correct-event]').count(), 0, 'no correct button');
    assert.equal(await page.locator('[data-testid=retract-event]').count(), 0, 'no retract button');
  });

  step(7, 'a11y-phone', 'every visible control is labelled, and the page fits a phone', async () => {
    // A page of its own, signed in as admin, so that the recording form is there too.
    const own = await context.newPage();
    shown = own;
    const ownErrors = watchErrors(own);
    await own.goto(`${server.base}/?lang=vi`);
    await signIn(own, server.token, 'admin');
    const unlabelled = new Map(); // control → where it was first seen
    const check = async (where) => {
      const { checked, problems } = await unlabelledControls(own);
      assert.ok(checked > 0, `${where}: some controls were checked`);
      for (const problem of problems) if (!unlabelled.has(problem)) unlabelled.set(problem, where);
      return checked;
    };
    assert.ok(await check('workspace') >= 10, 'the workspace has its time, log and record controls');
    // Every event type's form.
    const types = await own.locator('#record-type option').evaluateAll((options) => options.map((o) => o.value));
    assert.ok(types.length >= 19, `the type list: ${types.join(', ')}`);
    for (const type of types) {
      await own.locator('#record-type').selectOption(type);
      await own.locator(`#record-fields legend[data-i18n="type.${type}"]`).waitFor({ state: 'attached' });
      await check(type);
    }
    // An open event with its buttons.
    await own.locator('#event-log [data-testid=event-row] button').first().click();
    await own.locator('[data-testid=event-fields]').waitFor({ state: 'visible' });
    await check('event detail');
    assert.deepEqual([...unlabelled].map(([problem, where]) => `${where}: ${problem}`), [], 'controls without an accessible name');

    // Phone width: one column, nothing wider than the screen.
    await own.locator('#record-type').selectOption('training.held');
    await own.setViewportSize({ width: 390, height: 844 });
    await own.evaluate(() => window.scrollTo(0, 0));
    try {
      await own.waitForFunction(() => document.body.scrollWidth <= document.documentElement.clientWidth
        && document.documentElement.scrollWidth <= document.documentElement.clientWidth);
    } catch (error) {
      if (!/Timeout/i.test(error.message)) throw error;
      const culprits = await own.evaluate(() => [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5 && !el.closest('.table-scroll'))
        .slice(0, 10).map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className} right=${Math.round(el.getBoundingClientRect().right)}`));
      const widths = await own.evaluate(() => `body.scrollWidth=${document.body.scrollWidth}, clientWidth=${document.documentElement.clientWidth}`);
      assert.fail(`the body overflows horizontally at 390 px (${widths}): ${culprits.join('; ')}`);
    }
    await own.screenshot({ path: join(SHOTS, '07-phone.png') }); // the 390×844 screen itself
    const boxes = await own.evaluate(() => Object.fromEntries(['plans-panel', 'detail-panel']
      .map((id) => [id, document.getElementById(id).getBoundingClientRect().toJSON()])));
    assert.ok(boxes['detail-panel'].top >= boxes['plans-panel'].bottom - 1, 'the plan detail is below the plan tree (one column)');
    // Every visible control is within the screen (tables scroll inside their own box).
    const controls = await own.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => el.checkVisibility() && !el.closest('.table-scroll')).length);
    assert.ok(controls >= 20, `controls looked at: ${controls}`);
    const outside = await own.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
      .filter((el) => el.checkVisibility() && !el.closest('.table-scroll'))
      .filter((el) => { const r = el.getBoundingClientRect(); return r.left < -0.5 || r.right > document.documentElement.clientWidth + 0.5; })
      .map((el) => el.id || el.name || el.textContent.trim().slice(0, 30)));
    assert.deepEqual(outside, [], 'controls outside the screen at 390 px');
    assert.deepEqual(ownErrors, [], 'no uncaught errors in the page');
  }, { independent: true });

  step(8, 'beyond-2-53', 'funding sums above 2^53 − 1 are printed exactly, wherever they are printed', async () => {
    // Two allocations of 2^53 − 1 (the largest amount the contract takes) in one year and
    // source: every sum over them is 2^54 − 2 = 18014398509481982. That one happens to be a
    // double; the figures around it are not (one đồng disbursed makes the unspent sum odd, the
    // demo's money makes the whole record's sums miss the doubles there, 4 apart), so a page that
    // reads the answers with plain JSON.parse prints them wrong.
    const MAX = 9007199254740991;
    const plan = 'big-sums';
    const at = (occurred_on, type, data) => postEvent(server, {
      type, plan, occurred_on, data, evidence: { document: 'Browser test (web/tests): sums beyond 2^53' },
    });
    await at('2020-01-01', 'plan.registered', { title: 'Sums beyond 2^53', kind: 'programme', period: { from_year: 2020, to_year: 2021 } });
    await at('2020-03-01', 'funds.allocated', { fiscal_year: 2020, source: 'central', amount: MAX });
    await at('2020-03-02', 'funds.allocated', { fiscal_year: 2020, source: 'central', amount: MAX });
    await at('2020-04-01', 'funds.disbursed', { fiscal_year: 2020, source: 'central', amount: 1 });
    // An indicator whose actual passes 2^53 as well (the bars scale by it; its figures are printed).
    await at('2020-01-02', 'target.set', { indicator: 'big.items', year: 2020, quantity: MAX });
    for (const quantity of [MAX, MAX, 1]) await at('2020-06-01', 'progress.reported', { indicator: 'big.items', quantity });
    // A claim of 1 đồng allocated: the total_mismatch finding's computed side and difference are big.
    await at('2021-01-15', 'total.reported', { metric: 'funding.allocated', amount: 1 });

    const SUM = '18.014.398.509.481.982 ₫'; // 2 × (2^53 − 1)
    const UNSPENT = '18.014.398.509.481.981 ₫'; // the same less the one đồng disbursed

    const own = await context.newPage();
    shown = own;
    const ownErrors = watchErrors(own);
    await own.goto(`${server.base}/?lang=vi&plan=${plan}`);
    await signIn(own, server.token, 'admin');
    await panelsSettled(own);
    assert.equal(await own.locator(`[data-testid=plan-node][data-plan="${plan}"]`).getAttribute('aria-current'), 'true', 'the plan is selected');

    // The totals table: the total column and the source's column.
    const totals = { planned: '0 ₫', allocated: SUM, disbursed: '1 ₫', budget: SUM, unspent: UNSPENT };
    for (const [metric, figure] of Object.entries(totals)) {
      await expectText(own, `[data-testid=funding-total-${metric}]`, figure, `the plan's total ${metric}`);
      await expectText(own, `[data-testid=funding-totals] td[data-source=central][data-field=${metric}]`, figure, `the plan's central ${metric}`);
      await expectText(own, `[data-testid=funding-row][data-year="2020"][data-source=central] td[data-field=${metric}]`, figure,
        `the plan's 2020 central ${metric}`);
    }
    // The chart: the stack's printed sum and the bar's own figure.
    await expectText(own, '[data-testid=funding-chart] text.chart-amount[data-year="2020"][data-stage=allocated]', SUM, 'the chart\'s allocated sum');
    const bar = normalize(await own.locator('[data-testid=funding-chart] rect[data-year="2020"][data-stage=allocated][data-source=central] title').textContent());
    assert.ok(bar.endsWith(`: ${SUM}`), `the allocated bar's title: ${bar}`);
    // The yearly summary: the year and the total.
    const yearly = async (row, stage) => normalize(await own.locator(`#yearly ${row} td[data-field=funding] [data-field=funding-${stage}]`).textContent());
    assert.equal(await yearly('[data-testid=yearly-row][data-year="2020"]', 'allocated'), `Được cấp: ${SUM}`, 'the yearly summary\'s 2020');
    assert.equal(await yearly('[data-testid=yearly-total]', 'allocated'), `Được cấp: ${SUM}`, 'the yearly summary\'s total');
    assert.equal(await yearly('[data-testid=yearly-total]', 'disbursed'), 'Giải ngân: 1 ₫', 'the yearly summary\'s disbursed');
    // The reconciliation: the claim of 1 đồng against the computed sum.
    const claim = own.locator('#reconciliation [data-testid=finding][data-kind=total_mismatch]');
    await claim.waitFor({ state: 'visible' });
    assert.equal(await claim.count(), 1, 'one total_mismatch finding');
    assert.deepEqual(
      await claim.locator('[data-field]').evaluateAll((els) => Object.fromEntries(els.map((el) => [el.dataset.field, el.textContent.trim()]))),
      { expected: '1 ₫', actual: SUM, difference: UNSPENT }, 'the finding\'s figures');
    // The plan detail's indicator: 2 × (2^53 − 1) + 1 done against a target of 2^53 − 1.
    const indicator = own.locator('#plan-detail [data-testid=indicator-row][data-indicator="big.items"][data-year="2020"]');
    assert.equal(normalize(await indicator.locator('.indicator-values').textContent()),
      'thực hiện 18.014.398.509.481.983 / chỉ tiêu 9.007.199.254.740.991', 'the indicator\'s figures');
    assert.equal(await indicator.locator('.bar-actual.met').count(), 1, 'the target is met');
    await shot(own, '08-beyond-2-53-plan');

    // The whole record: the demo's money added to the big sums.
    await own.locator('[data-testid=plan-all]').click();
    await expectUrl(own, (url) => !url.searchParams.has('plan'), 'the URL loses plan');
    await panelsSettled(own);
    const whole = {
      planned: '520.000.000 ₫', allocated: '18.014.399.265.481.982 ₫', disbursed: '756.000.001 ₫',
      budget: '18.014.399.785.481.982 ₫', unspent: UNSPENT,
    };
    for (const [metric, figure] of Object.entries(whole)) {
      await expectText(own, `[data-testid=funding-total-${metric}]`, figure, `the whole record's total ${metric}`);
    }
    await expectText(own, '[data-testid=funding-totals] td[data-source=central][data-field=allocated]', '18.014.398.599.481.982 ₫',
      'the whole record\'s central allocated');
    assert.equal(await yearly('[data-testid=yearly-total]', 'allocated'), 'Được cấp: 18.014.399.265.481.982 ₫', 'the whole record\'s yearly total');
    // The event log, filtered to the plan, prints the stored amounts (safe integers) as sent.
    await own.locator('#log-plan').selectOption(plan);
    await own.locator('#log-load').click();
    await own.waitForFunction(() => document.querySelectorAll('#event-log [data-testid=event-row]').length === 9);
    assert.match(normalize(await own.locator('#event-log').textContent()), /"amount": ?9007199254740991/, 'the log shows the amount');
    assert.deepEqual(ownErrors, [], 'no uncaught errors in the page');
  }, { independent: true });

  step(9, 'csv-download', 'the download buttons save the panels\' CSV tables for the point in time shown', async () => {
    const own = await context.newPage();
    shown = own;
    const ownErrors = watchErrors(own);
    await own.goto(`${server.base}/?lang=vi&as_of=2013-12-31`);
    await signIn(own, server.token, 'admin');
    await panelsSettled(own);
    const save = async (testid) => {
      const [download] = await Promise.all([own.waitForEvent('download'), own.locator(`[data-testid=${testid}]`).click()]);
      const text = readFileSync(await download.path(), 'utf8');
      return { name: download.suggestedFilename(), text };
    };
    const funding = await save('download-funding');
    assert.equal(funding.name, 'acta-funding.csv');
    assert.equal(funding.text,
      '\ufefffiscal_year,source,plan,planned,allocated,disbursed,budget,unspent\r\n'
      + '2011,central,dn-sxsh,0,90000000,90000000,90000000,0\r\n'
      + '2013,local,dn-kh-2013,0,79000000,79000000,79000000,0\r\n',
      'funding as of 2013-12-31, one row per plan, year and source');
    await expectText(own, '#status', 'Đã tải acta-funding.csv.', 'the page says what it saved');
    const yearly = await save('download-yearly');
    assert.equal(yearly.name, 'acta-yearly.csv');
    assert.ok(yearly.text.startsWith('\ufeffyear,decisions,'), yearly.text.slice(0, 40));
    const reconciliation = await save('download-reconciliation');
    assert.equal(reconciliation.name, 'acta-reconciliation.csv');
    assert.ok(reconciliation.text.startsWith('\ufeffkind,severity,plan,'), reconciliation.text.slice(0, 40));
    assert.deepEqual(ownErrors, [], 'no uncaught errors in the page');
  }, { independent: true });

  step(10, 'vietnamese-amounts', 'amounts typed 587.000.000 or in words are understood before sending and stored as 587000000', async () => {
    // Last: it adds money to the record that steps 3, 6 and 8 count.
    const own = await context.newPage();
    shown = own;
    const ownErrors = watchErrors(own);
    await own.goto(`${server.base}/?lang=vi`);
    await signIn(own, server.token, 'admin');
    const form = own.locator('#record-fields');
    const amount = form.locator('[name="data.amount"]');
    const understood = '#record-fields [data-field="data.amount"] [data-testid=understood]';
    for (const typed of ['587.000.000', 'năm trăm tám mươi bảy triệu đồng', '587 000 000']) {
      await own.locator('#record-type').selectOption('funds.disbursed');
      await amount.waitFor({ state: 'visible' });
      await form.locator('[name=plan]').selectOption('dn-kh-2015');
      await form.locator('[name=occurred_on]').fill('31/12/2015');
      await form.locator('[name=date_precision]').selectOption('year');
      await form.locator('[name="data.fiscal_year"]').fill('2015');
      await form.locator('[name="data.source"]').selectOption('local');
      await amount.fill(typed);
      await expectText(own, understood, '= 587.000.000 ₫ — Năm trăm tám mươi bảy triệu đồng', `${typed}: figure and words understood`);
      await own.locator('#record-submit').click();
      const result = own.locator('[data-testid=record-result] button[data-event]');
      try {
        await result.waitFor({ state: 'visible' });
      } catch {
        const problems = await own.locator('#record-fields [data-testid=form-error], #record-fields [data-testid=field-error]:visible')
          .allTextContents().catch(() => []);
        assert.fail(`${typed}: no success message; the form says: ${JSON.stringify(problems.map(normalize))}`);
      }
      const said = normalize(await own.locator('[data-testid=record-result]').textContent());
      assert.ok(said.includes('587.000.000 ₫') && said.includes('ngày 31 tháng 12 năm 2015'), `${typed}: the message repeats amount and date: ${said}`);
      await result.click();
      const data = own.locator('[data-testid=event-detail] [data-testid=event-data]');
      await own.locator('[data-testid=event-detail] [data-testid=event-fields]').waitFor({ state: 'visible' });
      assert.equal(normalize(await own.locator('[data-testid=event-detail] [data-testid=event-fields] [data-key=amount] dd').textContent()),
        '587.000.000 ₫', `${typed}: the amount, labelled and grouped`);
      assert.deepEqual(JSON.parse(await data.textContent()), { fiscal_year: 2015, source: 'local', amount: 587000000 }, `${typed}: stored as an integer`);
    }
    // Words that are no amount: refused on the field, in Vietnamese, before anything is sent.
    await own.locator('#record-type').selectOption('funds.disbursed');
    await form.locator('[name=plan]').selectOption('dn-kh-2015');
    await form.locator('[name=occurred_on]').fill('31/12/2015');
    await form.locator('[name="data.fiscal_year"]').fill('2015');
    await form.locator('[name="data.source"]').selectOption('local');
    await amount.fill('năm trăm con mèo');
    await own.locator('#record-submit').click();
    const slot = form.locator('[data-field="data.amount"] [data-testid=field-error]');
    await slot.waitFor({ state: 'visible' });
    assert.match(normalize(await slot.textContent()), /^Không đọc được số tiền “năm trăm con mèo”/, 'the error, in Vietnamese');
    assert.equal(await amount.getAttribute('aria-invalid'), 'true', 'the amount is marked invalid');
    assert.equal(await amount.inputValue(), 'năm trăm con mèo', 'kept as typed');
    assert.deepEqual(ownErrors, [], 'no uncaught errors in the page');
  }, { independent: true });

  step(11, 'printed-statement', 'In / PDF prints the dated statement alone; its PDF holds the head hash, the dates and the totals', async (tag) => {
    const own = await context.newPage();
    shown = own;
    const ownErrors = watchErrors(own);
    await own.goto(`${server.base}/?lang=vi`);
    await signIn(own, server.token, 'admin');
    await own.locator('#as-of').fill('31/12/2013');
    await own.locator('#as-of').press('Enter');
    await expectUrl(own, (url) => url.searchParams.get('as_of') === '2013-12-31', 'as_of=2013-12-31');
    await panelsSettled(own);
    await own.locator('#verify').click();
    const headHash = normalize(await own.locator('[data-testid=verify-result] [data-field=head-hash]').textContent());
    const headSeq = normalize(await own.locator('[data-testid=verify-result] [data-field=head-seq]').textContent());
    assert.match(headHash, /^[0-9a-f]{64}$/, 'the head hash, from the verify panel');

    // window.print would open the print dialog; the PDF is made below, with the print style.
    await own.evaluate(() => { window.print = () => { window.actaPrinted = (window.actaPrinted ?? 0) + 1; }; });
    await own.locator('#print-statement').click();
    await own.waitForFunction(() => window.actaPrinted === 1);
    const article = own.locator('#statement-print article.statement');
    assert.equal(await article.getAttribute('data-head-hash'), headHash, 'the statement is for the head shown');
    const pdfPath = join(SHOTS, `${tag}.pdf`);
    await own.pdf({ path: pdfPath, format: 'A4', printBackground: true });
    const fromPage = pdfText(pdfPath);

    // The same statement from the command line, printed by Chromium's own --print-to-pdf.
    const htmlPath = join(workDir, 'statement.html');
    const cliPdf = join(SHOTS, `${tag}-cli.pdf`);
    const report = spawnSync(ACTA_BIN, ['report', '--db', join(workDir, 'acta.db'), '--as-of', '2013-12-31', '--format', 'html', '-o', htmlPath], { encoding: 'utf8' });
    assert.equal(report.status, 0, `acta report --format html: ${report.stderr}`);
    const printed = spawnSync(CHROMIUM, [...CHROMIUM_ARGS, '--no-pdf-header-footer', `--print-to-pdf=${cliPdf}`, `file://${htmlPath}`], { encoding: 'utf8', timeout: 60_000 });
    assert.ok(existsSync(cliPdf), `chromium --print-to-pdf wrote the PDF: ${printed.stderr}`);
    const fromFile = pdfText(cliPdf);

    for (const [where, text] of [['the page\'s PDF', fromPage], ['the file\'s PDF', fromFile]]) {
      const flat = text.replace(/\s+/g, '');
      assert.ok(flat.includes(headHash), `${where} holds the head hash ${headHash}`);
      const spaced = normalize(text);
      for (const expected of [`seq ${headSeq}`, '31/12/2013', 'Báo cáo tại một thời điểm', '169.000.000 ₫',
        'Một trăm sáu mươi chín triệu đồng', 'Tình trạng kế hoạch', 'Kinh phí theo năm và nguồn', 'Tổng hợp theo năm', 'Đối chiếu']) {
        assert.ok(spaced.includes(expected), `${where} holds ${JSON.stringify(expected)}`);
      }
      for (const control of ['In / PDF', 'Đăng xuất', 'Kiểm tra chuỗi', 'Ghi sự kiện', 'Liên kết tới chế độ xem này']) {
        assert.ok(!spaced.includes(control), `${where} has no controls (${control})`);
      }
    }
    // Moving in time drops the prepared statement: it was for 2013-12-31.
    await own.locator('#clear-as-of').click();
    await own.waitForFunction(() => document.getElementById('statement-print').childElementCount === 0);
    assert.deepEqual(ownErrors, [], 'no uncaught errors in the page');
  }, { independent: true });

  step(12, 'reachable', 'a skip link reaches the record form, which opens on a common act; tables scroll by keyboard; titles and the log\'s scope are text', async () => {
    const own = await context.newPage();
    shown = own;
    const ownErrors = watchErrors(own);
    await own.goto(`${server.base}/?lang=vi`);
    await signIn(own, server.token, 'admin');
    assert.equal(await own.locator('#record-type').inputValue(), 'outreach.delivered', 'the form opens on outreach, not plan.registered');

    // From the top of the page: the first Tab is the skip link to the content, the second to the form.
    // (A reload starts the keyboard at the top; the session keeps the token.)
    await own.reload();
    await own.locator('#workspace').waitFor({ state: 'visible' });
    await panelsDrawn(own);
    await own.keyboard.press('Tab');
    assert.equal(await own.evaluate(() => document.activeElement.getAttribute('href')), '#main', 'first Tab: skip to the content');
    await own.keyboard.press('Tab');
    assert.equal(await own.evaluate(() => document.activeElement.id), 'skip-record', 'second Tab: skip to the record form');
    await own.keyboard.press('Enter');
    await own.keyboard.press('Tab');
    assert.ok(await own.evaluate(() => document.getElementById('record-panel').contains(document.activeElement)),
      'three Tabs and Enter reach the record form');
    assert.equal(await own.locator('#panel-nav a[href="#record-panel"]').isVisible(), true, 'the in-page navigation names the form');

    // Scrolling tables are reachable and named.
    const regions = await own.locator('.table-scroll').evaluateAll((els) => els.map((el) => [el.getAttribute('tabindex'), el.getAttribute('aria-label')]));
    assert.ok(regions.length >= 3, `the scrolling tables: ${regions.length}`);
    for (const [tabindex, label] of regions) {
      assert.equal(tabindex, '0', 'a scrolling table is focusable');
      assert.match(label ?? '', /^Bảng cuộn ngang: /, 'and named');
    }
    // Decision titles are text, not tooltips.
    const title = own.locator('#yearly [data-testid=yearly-row][data-year="2011"] [data-field=decision-title]').first();
    assert.equal(await title.isVisible(), true, 'the 2011 decision\'s title is shown');
    assert.match(normalize(await title.textContent()), /kế hoạch SXSH/, 'its words');

    // The log follows the date: at 31/12/2012 it lists the 2011 decision and none of 2013–2015,
    // and says what it shows.
    assert.equal(await own.locator('#log-scope').isVisible(), false, 'no note for the whole record');
    const decisionYears = () => own.locator('#event-log [data-testid=event-row][data-type="decision.issued"]')
      .evaluateAll((rows) => rows.map((row) => row.dataset.occurredOn.slice(0, 4)));
    assert.ok((await decisionYears()).some((year) => year >= '2013'), 'the whole record\'s log has the later decisions');
    await own.locator('#as-of').fill('31/12/2012');
    await own.locator('#as-of').press('Enter');
    await own.locator('#log-scope').waitFor({ state: 'visible' });
    await own.waitForFunction(() => [...document.querySelectorAll('#event-log [data-testid=event-row]')]
      .every((row) => row.dataset.occurredOn <= '2012-12-31'));
    await panelsSettled(own);
    const years = await decisionYears();
    assert.ok(years.includes('2011'), `the 2011 decision is listed: ${years.join(', ')}`);
    assert.deepEqual(years.filter((year) => year >= '2013'), [], 'no decision of 2013–2015 at 31/12/2012');
    assert.match(normalize(await own.locator('#log-scope').textContent()), /chỉ các sự kiện có hiệu lực đến ngày đó/, 'the log\'s scope, in words');
    // Titles are text in the log's rows, the data labelled fields, the raw JSON behind a toggle.
    const decisionRow = own.locator('#event-log [data-testid=event-row][data-type="decision.issued"]').first();
    const rowTitle = decisionRow.locator('[data-field=event-title]');
    assert.equal(await rowTitle.isVisible(), true, 'the decision\'s title is visible text in the log');
    assert.match(normalize(await rowTitle.textContent()), /\/QĐ-/, 'with its number');
    assert.match(normalize(await decisionRow.locator('[data-testid=event-row-fields] [data-key=issuer] dt').textContent()), /^Cơ quan ban hành/,
      'the data\'s labels are Vietnamese');
    const fromYear = own.locator('#event-log [data-testid=event-row][data-type="plan.registered"] [data-key=from_year] dd').first();
    assert.match(normalize(await fromYear.textContent()), /^(19|20)\d\d$/, 'a year is written as a year (2009, not 2.009)');
    assert.equal(await decisionRow.locator('[data-testid=event-row-json]').isVisible(), false, 'the raw JSON is folded away');
    await decisionRow.locator('details.raw-json summary').click();
    assert.equal(await decisionRow.locator('[data-testid=event-row-json]').isVisible(), true, 'and opens');

    // Search, server side: 3269 finds its decision (and only what holds 3269).
    await own.locator('#clear-as-of').click();
    await panelsSettled(own);
    await own.locator('#log-search').fill('3269');
    await own.locator('#log-load').click();
    await own.waitForFunction(() => /3269/.test(document.getElementById('log-scope').textContent));
    await panelsSettled(own);
    const found = await own.locator('#event-log [data-testid=event-row]').evaluateAll((rows) => rows.map((row) => ({
      type: row.dataset.type, text: row.textContent,
    })));
    assert.ok(found.some((row) => row.type === 'decision.issued' && row.text.includes('3269/QĐ-UBND')), 'the decision 3269/QĐ-UBND is found');
    assert.ok(found.every((row) => row.text.includes('3269')), 'every row found holds 3269');
    // Without diacritics, in capitals: the same words of a title.
    await own.locator('#log-search').fill('KE HOACH SAN XUAT SACH HON');
    await own.locator('#log-load').click();
    await own.waitForFunction(() => /KE HOACH/.test(document.getElementById('log-scope').textContent));
    await panelsSettled(own);
    assert.ok(await own.locator('#event-log [data-testid=event-row][data-type="plan.registered"]').count() >= 1,
      'a search without diacritics finds "Kế hoạch sản xuất sạch hơn"');
    assert.deepEqual(ownErrors, [], 'no uncaught errors in the page');
  }, { independent: true });

  step(13, 'replay', 'the replay chart shows allocated against disbursed, cumulative by year and source, and moves with the date', async () => {
    const own = await context.newPage();
    shown = own;
    const ownErrors = watchErrors(own);
    await own.goto(`${server.base}/?lang=vi`);
    await signIn(own, server.token, 'admin');
    /** The chart's points: `{source: {stage: {year: amount}}}` (amounts as their digits). */
    const points = () => own.locator('[data-testid=replay-chart] circle[data-year]').evaluateAll((circles) => {
      const out = {};
      for (const c of circles) {
        ((out[c.dataset.source] ??= {})[c.dataset.stage] ??= {})[c.dataset.year] = c.dataset.amount;
      }
      return out;
    });
    /** The same, summed from GET /v1/funding's by_year at `asOf` (null: the whole record), up to `lastYear`. */
    const expected = async (asOf, lastYear, years) => {
      const query = asOf ? `?as_of=${asOf}` : '';
      const response = await fetch(`${server.base}/v1/funding${query}`, { headers: { Authorization: `Bearer ${server.token}` } });
      const { by_year: byYear } = await response.json();
      const out = {};
      for (const source of ['central', 'local', 'other']) {
        for (const stage of ['allocated', 'disbursed']) {
          let sum = 0n;
          for (const year of years.filter((y) => y <= lastYear)) {
            for (const row of byYear) if (row.fiscal_year === year && row.source === source) sum += BigInt(row[stage]);
            ((out[source] ??= {})[stage] ??= {})[year] = String(sum);
          }
        }
      }
      return out;
    };
    await own.locator('[data-testid=replay-chart]').waitFor({ state: 'visible' });
    const whole = await points();
    const years = [...new Set(Object.values(whole).flatMap((stages) => Object.values(stages).flatMap((byYear) => Object.keys(byYear))))]
      .map(Number).sort((a, b) => a - b);
    assert.ok(years.length >= 4, `the chart spans the fiscal years: ${years.join(', ')}`);
    const present = (expect) => Object.fromEntries(Object.entries(expect).filter(([source]) => source in whole));
    assert.deepEqual(whole, present(await expected(null, years.at(-1), years)), 'the whole record: cumulative sums of GET /v1/funding');
    assert.equal(await own.locator('[data-testid=replay-date]').count(), 0, 'no date marked for the whole record');

    // At 31/12/2012 only the 2011 central money is there, and the lines stop at 2012.
    await own.locator('#as-of').fill('31/12/2012');
    await own.locator('#as-of').press('Enter');
    await expectUrl(own, (url) => url.searchParams.get('as_of') === '2012-12-31', 'as_of=2012-12-31');
    await own.waitForFunction(() => [...document.querySelectorAll('[data-testid=replay-chart] circle[data-year]')]
      .every((c) => Number(c.dataset.year) <= 2012));
    await panelsSettled(own);
    const at2012 = await points();
    assert.deepEqual(at2012, Object.fromEntries(Object.entries(await expected('2012-12-31', 2012, years)).filter(([source]) => source in at2012)),
      'at 31/12/2012: cumulative sums of GET /v1/funding?as_of=2012-12-31');
    assert.equal(at2012.central?.allocated?.['2012'], '90000000', 'central allocated to 2012: 90.000.000');
    assert.notDeepEqual(at2012, whole, 'the chart changed with the date');
    assert.ok(await own.locator('[data-testid=replay-date]').count() >= 1, 'the date is marked');
    assert.match(normalize(await own.locator('[data-testid=replay-figures][data-source=central]').textContent()), /90\.000\.000 ₫/,
      'the figures at the date, printed');
    // The slider one year on: the chart moves again.
    const slider = own.locator('#as-of-year');
    await slider.focus();
    await slider.press('ArrowRight');
    await expectUrl(own, (url) => url.searchParams.get('as_of') === '2013-12-31', 'as_of=2013-12-31');
    await own.waitForFunction(() => document.querySelector('[data-testid=replay-chart] circle[data-year="2013"]') !== null);
    await panelsSettled(own);
    const at2013 = await points();
    assert.deepEqual(at2013, Object.fromEntries(Object.entries(await expected('2013-12-31', 2013, years)).filter(([source]) => source in at2013)),
      'at 31/12/2013');
    assert.notDeepEqual(at2013, at2012, 'one year on, the chart moved');
    assert.deepEqual(ownErrors, [], 'no uncaught errors in the page');
  }, { independent: true });

  step(14, 'axe', 'axe-core finds no serious or critical violation on any view, at 1280 and 390 px', async () => {
    const own = await context.newPage();
    shown = own;
    const ownErrors = watchErrors(own);
    const found = [];
    const audit = async (where) => {
      for (const width of [1280, 390]) {
        await own.setViewportSize({ width, height: width === 390 ? 844 : 900 });
        // Charts are redrawn for the new width; let them settle.
        await own.waitForTimeout(300);
        for (const violation of await axeViolations(own)) found.push(`${where} @${width}px: ${violation}`);
      }
      await own.setViewportSize({ width: 1280, height: 900 });
    };
    await own.goto(`${server.base}/?lang=vi`);
    await own.locator('#token').waitFor({ state: 'visible' });
    await audit('sign-in');
    await signIn(own, server.token, 'admin');
    await audit('workspace, whole record');
    // A date, a plan, an event open with its raw JSON, a form with its errors.
    await own.locator('#as-of').fill('31/12/2013');
    await own.locator('#as-of').press('Enter');
    await expectUrl(own, (url) => url.searchParams.get('as_of') === '2013-12-31', 'as_of=2013-12-31');
    await own.locator('#plan-tree [data-testid=plan-node][data-plan="dn-sxsh-2015"]').click();
    await panelsSettled(own);
    await own.locator('#event-log [data-testid=event-row] button').first().click();
    await own.locator('[data-testid=event-fields]').waitFor({ state: 'visible' });
    await own.locator('#event-detail details.raw-json summary').click();
    await own.locator('#event-log details.raw-json summary').first().click();
    await own.locator('#funding-panel details summary').first().click().catch(() => {});
    await own.locator('#replay-panel details summary').first().click();
    await audit('workspace at 31/12/2013, plan, event open');
    await own.locator('#record-type').selectOption('training.held');
    await own.locator('#record-submit').click();
    await own.locator('#record-fields [data-testid=field-error]:visible').first().waitFor({ state: 'visible' });
    await audit('record form with errors');
    await own.locator('#log-search').fill('3269');
    await own.locator('#log-load').click();
    await own.waitForFunction(() => /3269/.test(document.getElementById('log-scope').textContent));
    await own.locator('#lang').click();
    await own.waitForFunction(() => document.documentElement.lang === 'en');
    await panelsSettled(own);
    await audit('English page, log searched');
    assert.deepEqual(found, [], 'serious or critical axe-core violations');
    assert.deepEqual(ownErrors, [], 'no uncaught errors in the page');
  }, { independent: true });
});

/** axe-core's own script, injected into the page under test by the DevTools protocol. */
const AXE_SOURCE = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/**
 * Runs axe-core on the page as it is: each serious or critical violation as "rule (impact):
 * the first elements". The script goes in through `page.evaluate` (the DevTools protocol),
 * which the page's Content-Security-Policy does not govern; nothing of the page is relaxed.
 */
async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', ')}${v.nodes.length > 4 ? ` … ${v.nodes.length} in all` : ''}`);
  });
}

/**
 * Checks the visible input/select/textarea controls: `problems` lists those whose accessible
 * name, as Chromium's accessibility tree computes it, is empty (or has no letter), each by id
 * or name; `checked` is how many were looked at.
 */
async function unlabelledControls(page) {
  const described = await page.evaluate(() => {
    const found = [];
    for (const el of document.querySelectorAll('input, select, textarea')) {
      el.removeAttribute('data-a11y-probe');
      if (el.type === 'hidden' || !el.checkVisibility({ checkVisibilityCSS: true })) continue;
      el.setAttribute('data-a11y-probe', String(found.length));
      found.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.name ? `[name="${el.name}"]` : ''}`);
    }
    return found;
  });
  const cdp = await page.context().newCDPSession(page);
  const problems = [];
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
    const { nodeIds } = await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector: '[data-a11y-probe]' });
    assert.equal(nodeIds.length, described.length, 'every probed control is found');
    for (const nodeId of nodeIds) {
      const { attributes } = await cdp.send('DOM.getAttributes', { nodeId });
      const index = Number(attributes[attributes.indexOf('data-a11y-probe') + 1]);
      const { nodes } = await cdp.send('Accessibility.getPartialAXTree', { nodeId, fetchRelatives: false });
      const node = nodes.find((n) => !n.ignored) ?? nodes[0];
      const name = String(node?.name?.value ?? '');
      if (!node || node.ignored || !/\p{L}/u.test(name)) problems.push(`${described[index]} (name ${JSON.stringify(name)})`);
    }
  } finally {
    await cdp.detach().catch(() => {});
    await page.evaluate(() => document.querySelectorAll('[data-a11y-probe]').forEach((el) => el.removeAttribute('data-a11y-probe')));
  }
  return { checked: described.length, problems };
}
