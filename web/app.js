// The page: sign-in, the point in time (as_of / known_at) kept in the URL, the dated
// statement, verification, and the wiring of the panels (panels.js), the event log (log.js)
// and the record form (record.js).

import { ApiError, get, getText, request, setUnauthorizedHandler, token } from './api.js';
import { h, fill } from './dom.js';
import { parseDate, parseDateTime, spellDate, spellDateTime } from './dates.js';
import { formatInt } from './format.js';
import { applyLabels, LANGUAGES, setLanguage, t } from './i18n.js';
import { fillTypeSelect, loadLog, renderEventDetail, renderLog } from './log.js';
import { onPlanChange, PANEL_NAMES, refreshPanels, renderPanels } from './panels.js';
import { buildRecordForm, dropRecordForm, onRecorded } from './record.js';
import {
  $, announce, cache, canRecord, dateText, definitions, generation, momentText, problemText, record, scopedQuery, session, view,
} from './state.js';

// ----- URL and language -------------------------------------------------------------------

function readUrl() {
  const query = new URLSearchParams(window.location.search);
  view.asOf = query.get('as_of') || null;
  view.knownAt = query.get('known_at') || null;
  view.plan = query.get('plan') || null;
  const lang = query.get('lang') || localStorage.getItem('acta.lang');
  view.lang = LANGUAGES.includes(lang) ? lang : 'vi';
}

function writeUrl() {
  const query = new URLSearchParams({ lang: view.lang });
  if (view.asOf) query.set('as_of', view.asOf);
  if (view.knownAt) query.set('known_at', view.knownAt);
  if (view.plan) query.set('plan', view.plan);
  window.history.replaceState(null, '', `${window.location.pathname}?${query}`);
  $('permalink').href = window.location.href;
}

function applyLanguage() {
  setLanguage(view.lang);
  localStorage.setItem('acta.lang', view.lang);
  $('lang').setAttribute('lang', view.lang === 'vi' ? 'en' : 'vi');
  applyLabels(document);
  showSession();
  syncTimeControls();
}

$('lang').addEventListener('click', () => {
  view.lang = view.lang === 'vi' ? 'en' : 'vi';
  applyLanguage();
  writeUrl();
  renderAll();
});

function renderAll() {
  renderPanels();
  renderLog();
  renderEventDetail();
  if (cache.verify) renderVerify();
}

// ----- Sign-in ----------------------------------------------------------------------------

/**
 * Resolves to `{name, role}` for a token. GET /v1/whoami tells the role; a server without it
 * (404/405) is asked GET /v1/events?limit=1 only to check the token, and the role stays unknown.
 */
async function identify(tokenValue) {
  try {
    const { body } = await request('/v1/whoami', { tokenValue });
    return { name: body?.name ?? null, role: body?.role ?? null };
  } catch (error) {
    if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 405)) throw error;
    await request('/v1/events', { query: { limit: 1 }, tokenValue });
    return { name: null, role: null };
  }
}

function showSignInError(message) {
  const el = $('sign-in-error');
  el.textContent = message;
  el.hidden = !message;
  $('token').toggleAttribute('aria-invalid', Boolean(message));
}

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const value = $('token').value.trim();
  if (!value) return showSignInError(t('auth.empty'));
  showSignInError('');
  announce(t('auth.checking'));
  $('sign-in').disabled = true;
  try {
    Object.assign(session, await identify(value));
    token.set(value);
    $('token').value = '';
    await enterWorkspace();
  } catch (error) {
    announce('');
    showSignInError(error instanceof ApiError && error.status === 401 ? t('auth.invalid') : problemText(error));
    $('token').focus();
  } finally {
    $('sign-in').disabled = false;
  }
});

$('sign-out').addEventListener('click', () => signOut('auth.signed_out'));
setUnauthorizedHandler(() => signOut('auth.expired'));

function signOut(messageKey) {
  token.clear();
  Object.assign(session, { name: null, role: null });
  for (const key of Object.keys(cache)) delete cache[key];
  for (const key of Object.keys(generation)) generation[key] += 1;
  dropRecordForm();
  fill($('record-fields'));
  fill($('record-result'));
  for (const id of ['plan-tree', 'plan-detail', 'funding', 'replay', 'yearly', 'reconciliation', 'event-log', 'event-detail-body', 'verify-output']) fill($(id));
  $('event-detail').hidden = true;
  $('workspace').hidden = true;
  $('session').hidden = true;
  $('skip-record').hidden = true;
  $('sign-in-panel').hidden = false;
  if (messageKey === 'auth.expired') showSignInError(t(messageKey));
  announce(t(messageKey));
  $('token').focus();
}

function showSession() {
  const role = session.role ? t(`role.${session.role}`) : null;
  $('whoami').textContent = session.name && role
    ? t('auth.signed_in', { name: session.name, role })
    : t('auth.signed_in_unknown');
}

async function enterWorkspace() {
  $('sign-in-panel').hidden = true;
  $('workspace').hidden = false;
  $('session').hidden = false;
  showSession();
  // An auditor sees no recording forms; an unknown role gets them with a note (the server decides).
  $('record-panel').hidden = !canRecord();
  $('skip-record').hidden = !canRecord();
  $('nav-record').hidden = !canRecord();
  $('record-role-note').hidden = session.role !== null;
  announce(t('panel.loading'));
  await loadRecordFacts();
  if (canRecord()) buildRecordForm($('record-type').value);
  writeUrl();
  refreshPanels(PANEL_NAMES);
  loadLog(0);
  announce('');
}
// ----- Record-wide facts: plan list and the year range of the slider --------------------

/**
 * The slider runs from the first to the last year of the record: the years of the yearly
 * summary (acts by occurred year, funding by fiscal year) and of the plans' status history.
 */
async function loadRecordFacts() {
  const [plans, yearly] = await Promise.allSettled([get('/v1/plans'), get('/v1/summaries/yearly')]);
  const planList = plans.status === 'fulfilled' ? plans.value.plans : [];
  record.plans = planList.map(({ plan, title }) => ({ plan, title }));
  const years = [
    ...(yearly.status === 'fulfilled' ? yearly.value.years.map((y) => y.year) : []),
    ...planList.flatMap((p) => (p.history ?? []).map((entry) => Number(entry.on.slice(0, 4)))),
  ];
  const thisYear = new Date().getFullYear();
  record.minYear = years.length ? Math.min(...years) : thisYear;
  record.maxYear = years.length ? Math.max(...years) : thisYear;
  syncTimeControls();
  const logPlan = $('log-plan');
  const selected = logPlan.value;
  fill(logPlan, h('option', { value: '', 'data-i18n': 'log.any' }, t('log.any')),
    record.plans.map(({ plan, title }) => h('option', { value: plan }, `${plan} — ${title}`)));
  logPlan.value = selected;
}
// ----- Point in time ----------------------------------------------------------------------

function syncTimeControls() {
  const slider = $('as-of-year');
  slider.min = record.minYear;
  slider.max = record.maxYear + 1; // the last step is "now / no date limit"
  const year = view.asOf ? Number(view.asOf.slice(0, 4)) : NaN;
  slider.value = view.asOf && Number.isInteger(year)
    ? Math.min(Math.max(year, record.minYear), record.maxYear)
    : record.maxYear + 1;
  const label = view.asOf ? dateText(view.asOf) : t('time.now');
  $('as-of-year-value').textContent = label;
  slider.setAttribute('aria-valuetext', view.asOf ? spellDate(view.asOf, view.lang) : label);
  $('as-of').value = view.asOf ? dateText(view.asOf) : '';
  $('known-at').value = view.knownAt ? momentText(view.knownAt) : '';
  for (const id of ['as-of', 'known-at']) showTimeError(id, '');
  echoTime();
  $('view-summary').textContent = view.asOf || view.knownAt
    ? t('time.summary', {
      as_of: view.asOf ? spellDate(view.asOf, view.lang) : t('time.no_limit'),
      known_at: view.knownAt ? spellDateTime(view.knownAt, view.lang) : t('time.latest'),
    })
    : t('time.summary_now');
}

/** Beside each time field, the date or moment it understood (before anything is asked). */
function echoTime() {
  const asOf = $('as-of').value.trim();
  const knownAt = $('known-at').value.trim();
  const asOfDate = parseDate(asOf);
  const knownAtInstant = parseDateTime(knownAt);
  $('as-of-hint').textContent = asOf === '' ? '' : asOfDate ? `= ${spellDate(asOfDate, view.lang)}` : t('date.unreadable_hint');
  $('known-at-hint').textContent = knownAt === '' ? '' : knownAtInstant ? `= ${spellDateTime(knownAtInstant, view.lang)}` : t('datetime.unreadable', { text: knownAt });
}

function showTimeError(id, message) {
  const error = $(`${id}-error`);
  error.textContent = message;
  error.hidden = !message;
  if (message) $(id).setAttribute('aria-invalid', 'true');
  else $(id).removeAttribute('aria-invalid');
}

/** Takes what was typed in a time field: the view moves, or the field says why it cannot. */
function commitTime(id) {
  const typed = $(id).value.trim();
  if (id === 'as-of') {
    const date = parseDate(typed);
    if (typed !== '' && date === null) return showTimeError(id, t('date.unreadable', { text: typed }));
    if (date !== view.asOf) setTime({ asOf: date });
    else showTimeError(id, '');
  } else {
    const instant = parseDateTime(typed);
    if (typed !== '' && instant === null) return showTimeError(id, t('datetime.unreadable', { text: typed }));
    if (instant !== view.knownAt) setTime({ knownAt: instant });
    else showTimeError(id, '');
  }
}

let timeTimer = null;

// ----- The dated statement ("In / PDF") ----------------------------------------------------

/** Drops a prepared statement: it was for another point in time or plan. */
export function dropStatement() {
  document.body.classList.remove('printing-statement');
  fill($('statement-print'));
}

/**
 * Asks the server for the statement of the shown point in time and plan (the document `acta
 * report --format html` writes), puts its article in the page, and prints: the print style
 * shows that article alone.
 */
async function printStatement() {
  const button = $('print-statement');
  button.disabled = true;
  announce(t('print.preparing'));
  try {
    const html = await getText('/v1/statement', scopedQuery());
    // Only the article is parsed: the document's own <style> (for the file of `acta report`)
    // would be inline style, which this page's Content-Security-Policy refuses; statement.css
    // is the same style, loaded by the page.
    const from = html.indexOf('<article');
    const to = html.lastIndexOf('</article>');
    const body = from >= 0 && to > from ? html.slice(from, to + '</article>'.length) : '';
    const article = new DOMParser().parseFromString(body, 'text/html').querySelector('article.statement');
    if (!article) throw new Error(t('print.unreadable'));
    fill($('statement-print'), document.importNode(article, true));
    document.body.classList.add('printing-statement');
    announce(t('print.ready'));
    window.print();
  } catch (error) {
    announce(problemText(error));
  } finally {
    button.disabled = false;
  }
}

$('print-statement').addEventListener('click', printStatement);

/** Moves to another point in time; waits for the slider to settle before asking the server. */
function setTime(changes) {
  Object.assign(view, changes);
  dropStatement();
  syncTimeControls();
  clearTimeout(timeTimer);
  timeTimer = setTimeout(() => {
    writeUrl();
    refreshPanels(PANEL_NAMES);
    // The log follows the date: its first page at the new point in time.
    loadLog($('log-after').value.trim() || 0);
  }, 200);
}

$('as-of-year').addEventListener('input', (event) => {
  const year = Number(event.target.value);
  setTime({ asOf: year > record.maxYear ? null : `${year}-12-31` });
});
for (const id of ['as-of', 'known-at']) {
  $(id).addEventListener('input', echoTime);
  $(id).addEventListener('change', () => commitTime(id));
  $(id).addEventListener('keydown', (event) => {
    if (event.key === 'Enter') commitTime(id);
  });
}
$('clear-as-of').addEventListener('click', () => setTime({ asOf: null }));
$('clear-known-at').addEventListener('click', () => setTime({ knownAt: null }));

// ----- Verify -----------------------------------------------------------------------------

$('verify').addEventListener('click', async () => {
  $('verify-panel').setAttribute('aria-busy', 'true');
  try {
    cache.verify = { data: await get('/v1/verify') };
  } catch (error) {
    cache.verify = { error };
  }
  $('verify-panel').setAttribute('aria-busy', 'false');
  renderVerify();
});

function renderVerify() {
  const { data: v, error } = cache.verify;
  if (error) return fill($('verify-output'), h('p', { class: 'panel-error', 'data-testid': 'verify-result' }, problemText(error)));
  announce(v.ok ? t('verify.ok') : t('verify.broken'));
  fill($('verify-output'), h('div', { class: v.ok ? 'verify ok' : 'verify broken', 'data-testid': 'verify-result', 'data-ok': String(v.ok) },
    h('p', {}, h('strong', {}, v.ok ? t('verify.ok') : t('verify.broken'))),
    definitions([
      [t('verify.checked'), h('span', { 'data-field': 'checked' }, formatInt(v.checked))],
      [t('verify.head_seq'), h('span', { 'data-field': 'head-seq' }, String(v.head.seq))],
      [t('verify.head_hash'), h('code', { class: 'hash-full', 'data-field': 'head-hash' }, v.head.hash)],
      v.ok ? null : [t('verify.first_bad_seq'), h('span', { 'data-field': 'first-bad-seq' }, String(v.first_bad_seq))],
      v.ok ? null : [t('verify.problem'), h('span', { 'data-field': 'problem' }, v.problem)],
    ])));
}

// After recording: the plans (a new one may be recorded on), every panel and the log's page.
onRecorded(async () => {
  await loadRecordFacts();
  refreshPanels(PANEL_NAMES);
  loadLog();
});
onPlanChange(() => {
  dropStatement();
  writeUrl();
});

// ----- Start ------------------------------------------------------------------------------

fillTypeSelect($('record-type'), null);
// The form opens on the act recorded most often (in the demo record: outreach.delivered and
// target.set, 9 of 52 events each; targets are set once a plan, outreach goes on all year), not
// on plan.registered, the rarest.
$('record-type').value = 'outreach.delivered';
fillTypeSelect($('log-type'), h('option', { value: '', 'data-i18n': 'log.any' }));
readUrl();
applyLanguage();
$('permalink').href = window.location.href;

if (token.get()) {
  identify(token.get())
    .then((who) => {
      Object.assign(session, who);
      return enterWorkspace();
    })
    .catch((error) => {
      const expired = error instanceof ApiError && error.status === 401;
      if (expired) token.clear();
      showSignInError(expired ? t('auth.expired') : problemText(error));
    });
} else {
  $('token').focus();
}
