// The page: sign-in, the point in time (as_of / known_at) kept in the URL, the panels that
// show the record at that point, the event log, chain verification and recording.

import { ApiError, download, get, getText, request, setUnauthorizedHandler, token } from './api.js';
import { fundingChart, indicatorBars, sourceClass, sourcesOf, STAGES } from './charts.js';
import { h, fill } from './dom.js';
import { parseDate, parseDateTime, showDate, showDateTime, spellDate, spellDateTime, timeZone, todayIso } from './dates.js';
import { formatInt, formatMoney } from './format.js';
import { applyLabels, LANGUAGES, setLanguage, t } from './i18n.js';
import { stringifyJson } from './json.js';
import { RecordForm, serialize, TYPE_GROUPS } from './forms.js';

const $ = (id) => document.getElementById(id);

/** What the URL carries: the view an auditor can send to a colleague. */
const view = { lang: 'vi', asOf: null, knownAt: null, plan: null };
const session = { name: null, role: null };
/** Record-wide facts, independent of the point in time: plans that may be recorded on, years. */
const record = { plans: [], minYear: new Date().getFullYear(), maxYear: new Date().getFullYear() };
/** The last answer (`{data}` or `{error}`) of each panel, so a language switch redraws without asking again. */
const cache = {};
const generation = {};
/** Where the shown page of the event log starts, to reload it after recording. */
let logAfter = 0;
let recordForm = null;
let lastChartWidth = 0;

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

function announce(message) {
  $('status').textContent = message;
}

function problemText(error) {
  if (error instanceof ApiError) return error.status === 0 ? t('net.unreachable') : `${error.status}: ${error.message}`;
  return String(error);
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
  recordForm = null;
  fill($('record-fields'));
  fill($('record-result'));
  for (const id of ['plan-tree', 'plan-detail', 'funding', 'yearly', 'reconciliation', 'event-log', 'event-detail-body', 'verify-output']) fill($(id));
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

const canRecord = () => session.role === null || session.role === 'admin' || session.role === 'recorder';

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

/** A date (`yyyy-mm-dd`) and a moment (RFC 3339) in the page's convention (dates.js). */
const dateText = (iso) => showDate(iso, view.lang);
const momentText = (instant) => showDateTime(instant, view.lang);

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
function dropStatement() {
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
  showLogScope();
  clearTimeout(timeTimer);
  timeTimer = setTimeout(() => {
    writeUrl();
    refreshPanels(PANEL_NAMES);
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

const timeQuery = () => ({ as_of: view.asOf, known_at: view.knownAt });
const scopedQuery = () => ({ ...timeQuery(), plan: view.plan });

// ----- Panels -----------------------------------------------------------------------------

const MONEY_KINDS = new Set(['overspend', 'disbursed_without_allocation']);
/** Findings about a `total.reported` claim: money only when the claim's metric is `funding.*`. */
const CLAIM_KINDS = new Set(['total_mismatch', 'words_mismatch', 'words_unreadable']);
const claimMetrics = new Map();

async function claimMetric(eventId) {
  if (!claimMetrics.has(eventId)) {
    try {
      claimMetrics.set(eventId, (await get(`/v1/events/${encodeURIComponent(eventId)}`)).data?.metric ?? null);
    } catch {
      return null;
    }
  }
  return claimMetrics.get(eventId);
}

const panels = {
  plans: { host: 'plan-tree', load: () => get('/v1/plans', timeQuery()), render: renderPlans },
  detail: {
    host: 'plan-detail',
    load: () => (view.plan ? get(`/v1/plans/${encodeURIComponent(view.plan)}`, timeQuery()) : null),
    render: renderDetail,
  },
  funding: { host: 'funding', load: () => get('/v1/funding', scopedQuery()), render: renderFunding },
  yearly: { host: 'yearly', load: () => get('/v1/summaries/yearly', scopedQuery()), render: renderYearly },
  reconciliation: {
    host: 'reconciliation',
    load: async () => {
      const answer = await get('/v1/reconciliation', scopedQuery());
      const metrics = {};
      for (const finding of answer.findings) {
        if (CLAIM_KINDS.has(finding.kind) && finding.event && !finding.metric) {
          metrics[finding.event] = await claimMetric(finding.event);
        }
      }
      return { ...answer, metrics };
    },
    render: renderReconciliation,
  },
};
const PANEL_NAMES = Object.keys(panels);
const PLAN_PANELS = ['detail', 'funding', 'yearly', 'reconciliation'];

/** Asks again for each named panel; an answer that arrives after a newer question is dropped. */
function refreshPanels(names) {
  return Promise.all(names.map(async (name) => {
    const panel = panels[name];
    const mine = (generation[name] = (generation[name] ?? 0) + 1);
    const section = $(panel.host).closest('section');
    section.setAttribute('aria-busy', 'true');
    let result;
    try {
      result = { data: await panel.load() };
    } catch (error) {
      result = { error };
    }
    if (generation[name] !== mine) return;
    cache[name] = result;
    section.setAttribute('aria-busy', 'false');
    panel.render();
  }));
}

function renderAll() {
  for (const [name, panel] of Object.entries(panels)) if (cache[name]) panel.render();
  if (cache.log) renderLog();
  if (cache.event) renderEventDetail();
  if (cache.verify) renderVerify();
}

/** Draws the panel's error, if its last answer was one, and says whether it did. */
function showError(name) {
  const { error } = cache[name];
  if (!error) return false;
  const planMissing = error instanceof ApiError && error.status === 404 && view.plan && PLAN_PANELS.includes(name);
  const message = planMissing ? t('panel.plan_missing', { plan: view.plan }) : problemText(error);
  fill($(panels[name].host), h('p', { class: 'panel-error', 'data-testid': 'panel-error' }, message));
  return true;
}

const badge = (status) => h('span', { class: `badge status-${status}`, 'data-testid': 'plan-status', 'data-status': status }, t(`status.${status}`));
const eventButton = (id) =>
  h('button', { type: 'button', class: 'link', 'data-event': id, onclick: () => openEvent(id) }, t('detail.open_event'));
const definitions = (rows) => h('dl', { class: 'facts' },
  rows.filter(Boolean).map(([term, ...values]) => h('div', {}, h('dt', {}, term), h('dd', {}, ...values))));

function renderPlans() {
  if (showError('plans')) return;
  const plans = cache.plans.data.plans;
  const keys = new Set(plans.map((p) => p.plan));
  const children = (parent) => plans.filter((p) => (parent === null ? !p.parent || !keys.has(p.parent) : p.parent === parent));
  const node = (p) => {
    const below = children(p.plan);
    return h('li', {},
      h('button', {
        type: 'button', class: 'plan-node', 'data-testid': 'plan-node', 'data-plan': p.plan,
        'aria-current': p.plan === view.plan ? 'true' : null, onclick: () => selectPlan(p.plan),
      },
      h('span', { class: 'plan-key' }, p.plan), badge(p.status),
      h('span', { class: 'plan-title' }, p.title),
      h('span', { class: 'plan-meta' }, `${t(`kind.${p.kind}`)} · ${p.period.from_year}–${p.period.to_year}`)),
      below.length ? h('ul', {}, below.map(node)) : null);
  };
  const roots = children(null);
  fill($('plan-tree'), roots.length ? h('ul', { class: 'tree' }, roots.map(node)) : h('p', {}, t('plans.empty')));
  $('plan-all').setAttribute('aria-current', view.plan ? 'false' : 'true');
}

function selectPlan(plan) {
  view.plan = plan;
  dropStatement();
  writeUrl();
  for (const button of document.querySelectorAll('[data-testid=plan-node]')) {
    button.setAttribute('aria-current', button.dataset.plan === plan ? 'true' : 'false');
  }
  $('plan-all').setAttribute('aria-current', plan ? 'false' : 'true');
  refreshPanels(PLAN_PANELS);
}

$('plan-all').addEventListener('click', () => selectPlan(null));

// The CSV tables of the panels, for the same point in time and plan as shown.
for (const button of document.querySelectorAll('[data-download]')) {
  button.addEventListener('click', async () => {
    try {
      announce(t('download.saved', { file: await download(button.dataset.download, scopedQuery()) }));
    } catch (error) {
      announce(t('download.failed', { problem: problemText(error) }));
    }
  });
}

function renderDetail() {
  if (!view.plan) return fill($('plan-detail'), h('p', {}, t('detail.none')));
  if (showError('detail')) return;
  const p = cache.detail.data;
  const approval = p.approval
    ? t('detail.approval_text', { decision: p.approval.decision, by: p.approval.approved_by ?? '—', on: dateText(p.approval.on) })
    : t('detail.approval_none');
  fill($('plan-detail'),
    h('h3', {}, p.title),
    definitions([
      ['plan', h('code', {}, p.plan)],
      [t('detail.code'), p.code ?? '—'],
      [t('detail.issuer'), p.issuer ?? '—'],
      [t('detail.kind'), t(`kind.${p.kind}`)],
      [t('detail.period'), `${p.period.from_year}–${p.period.to_year}`],
      [t('detail.parent'), p.parent ? h('code', {}, p.parent) : '—'],
      [t('detail.status'), badge(p.status), ' ', t('detail.since', { date: dateText(p.status_since) })],
      [t('detail.approval'), approval],
      [t('detail.version'), formatInt(p.version)],
    ]),
    h('h4', {}, t('detail.history')),
    h('ol', { class: 'history', 'data-testid': 'status-history' }, p.history.map((entry) =>
      h('li', {}, badge(entry.status), ` ${dateText(entry.on)} `, entry.event ? eventButton(entry.event) : null))),
    h('h4', {}, t('detail.indicators')),
    p.indicators.length ? indicatorBars(p.indicators) : h('p', {}, t('detail.no_indicators')));
}

function renderFunding() {
  if (showError('funding')) return;
  const { by_year: byYear, by_source: bySource, totals, budget_in_words: inWords } = cache.funding.data;
  const sources = sourcesOf(bySource);
  const chartHost = h('div', { id: 'funding-chart', class: 'chart' });
  const metrics = [...STAGES, 'budget', 'unspent'];
  fill($('funding'),
    byYear.length ? [
      chartHost,
      h('ul', { class: 'legend', 'aria-label': t('funding.legend') },
        sourcesOf(byYear).map((source) =>
          h('li', {}, h('span', { class: `swatch ${sourceClass(source)}`, 'aria-hidden': 'true' }), t(`source.${source}`)))),
    ] : h('p', {}, t('funding.empty')),
    h('div', scrollRegion(t('funding.totals')), h('table', { class: 'numbers', 'data-testid': 'funding-totals' },
      h('caption', {}, t('funding.totals')),
      h('thead', {}, h('tr', {}, h('td', {}),
        sources.map((source) => h('th', { scope: 'col' }, t(`source.${source}`))),
        h('th', { scope: 'col' }, t('funding.total')))),
      h('tbody', {}, metrics.map((metric) => h('tr', {},
        h('th', { scope: 'row' }, t(`stage.${metric}`)),
        sources.map((source) => h('td', { class: 'money', 'data-source': source, 'data-field': metric },
          formatMoney(bySource.find((row) => row.source === source)[metric]))),
        h('td', { class: 'money total', 'data-testid': `funding-total-${metric}` }, formatMoney(totals[metric]))))))),
    h('p', { class: 'in-words' }, h('span', {}, `${t('funding.in_words')}: `),
      h('strong', { 'data-testid': 'budget-in-words' }, inWords ?? '—')),
    byYear.length ? h('details', {}, h('summary', {}, t('funding.table')),
      h('div', scrollRegion(t('funding.table')), h('table', { class: 'numbers' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('funding.fiscal_year')), h('th', { scope: 'col' }, t('funding.source')),
          metrics.map((metric) => h('th', { scope: 'col' }, t(`stage.${metric}`))))),
        h('tbody', {}, byYear.map((row) => h('tr', { 'data-testid': 'funding-row', 'data-year': row.fiscal_year, 'data-source': row.source },
          h('th', { scope: 'row' }, String(row.fiscal_year)), h('td', {}, t(`source.${row.source}`)),
          metrics.map((metric) => h('td', { class: 'money', 'data-field': metric }, formatMoney(row[metric]))))))))) : null);
  drawFundingChart();
}

function drawFundingChart() {
  const host = $('funding-chart');
  if (!host || !cache.funding?.data) return;
  lastChartWidth = host.clientWidth || 600;
  fill(host, fundingChart(cache.funding.data.by_year, lastChartWidth));
}

// The chart is laid out in real pixels, so it is redrawn when its column changes width.
new ResizeObserver(() => {
  const host = $('funding-chart');
  if (host && Math.abs(host.clientWidth - lastChartWidth) > 8) drawFundingChart();
}).observe($('funding'));

function renderYearly() {
  if (showError('yearly')) return;
  const years = cache.yearly.data.years;
  if (!years.length) return fill($('yearly'), h('p', {}, t('yearly.empty')));
  const channels = [...new Set(years.flatMap((y) => Object.keys(y.outreach)))];
  const sum = (pick) => years.reduce((total, y) => total + BigInt(pick(y)), 0n);
  const outreachList = (counts) => h('ul', { class: 'plain' }, channels.filter((c) => counts[c] !== undefined)
    .map((c) => h('li', { 'data-channel': c }, `${t(`channel.${c}`)}: ${formatInt(counts[c])}`)));
  const fundingList = (money) => h('ul', { class: 'plain money' }, STAGES.map((stage) =>
    h('li', { 'data-field': `funding-${stage}` }, `${t(`stage.${stage}`)}: ${formatMoney(money[stage])}`)));
  const unitName = (unit) => (typeof unit === 'string' ? unit : unit.name ?? stringifyJson(unit));
  const cell = (field, ...content) => h('td', { 'data-field': field }, ...content);
  fill($('yearly'), h('div', scrollRegion(t('yearly.heading')), h('table', { class: 'yearly', 'data-testid': 'yearly-table' },
    h('thead', {},
      h('tr', {},
        ['yearly.year', 'yearly.decisions', 'yearly.plans_approved'].map((key) => h('th', { scope: 'col', rowspan: 2 }, t(key))),
        h('th', { scope: 'colgroup', colspan: 3 }, t('yearly.training')),
        ['yearly.outreach', 'yearly.assessments', 'yearly.staff', 'yearly.units', 'yearly.funding']
          .map((key) => h('th', { scope: 'col', rowspan: 2 }, t(key)))),
      h('tr', {}, ['yearly.training_events', 'yearly.training_sessions', 'yearly.training_participants']
        .map((key) => h('th', { scope: 'col' }, t(key))))),
    h('tbody', {}, years.map((y) => h('tr', { 'data-testid': 'yearly-row', 'data-year': y.year },
      h('th', { scope: 'row' }, String(y.year)),
      cell('decisions', h('ul', { class: 'plain' }, y.decisions.map((d) =>
        h('li', {}, h('span', { class: 'doc-number' }, d.number), ` (${dateText(d.issued_on)})`,
          h('span', { class: 'decision-title', 'data-field': 'decision-title' }, `${d.title} — ${d.issuer}`))))),
      cell('plans-approved', y.plans_approved.join(', ')),
      cell('training-events', formatInt(y.training.events)),
      cell('training-sessions', formatInt(y.training.sessions)),
      cell('training-participants', formatInt(y.training.participants)),
      cell('outreach', outreachList(y.outreach)),
      cell('assessments', formatInt(y.assessments.enterprises)),
      cell('staff', formatInt(y.staff_assigned)),
      cell('units', h('ul', { class: 'plain' }, y.units_established.map((u) => h('li', {}, unitName(u))))),
      cell('funding', fundingList(y.funding))))),
    h('tfoot', {}, h('tr', { 'data-testid': 'yearly-total' },
      h('th', { scope: 'row' }, t('yearly.total')),
      cell('decisions', formatInt(sum((y) => y.decisions.length))),
      cell('plans-approved', formatInt(sum((y) => y.plans_approved.length))),
      cell('training-events', formatInt(sum((y) => y.training.events))),
      cell('training-sessions', formatInt(sum((y) => y.training.sessions))),
      cell('training-participants', formatInt(sum((y) => y.training.participants))),
      cell('outreach', outreachList(Object.fromEntries(channels.map((c) => [c, sum((y) => y.outreach[c] ?? 0)])))),
      cell('assessments', formatInt(sum((y) => y.assessments.enterprises))),
      cell('staff', formatInt(sum((y) => y.staff_assigned))),
      cell('units', formatInt(sum((y) => y.units_established.length))),
      cell('funding', fundingList(Object.fromEntries(STAGES.map((stage) => [stage, sum((y) => y.funding[stage])])))))))));
}

function renderReconciliation() {
  if (showError('reconciliation')) return;
  const { ok, findings, metrics } = cache.reconciliation.data;
  // Errors first; otherwise the server's order.
  const ordered = [...findings].sort((a, b) => (a.severity === 'error' ? 0 : 1) - (b.severity === 'error' ? 0 : 1));
  const errors = findings.filter((f) => f.severity === 'error').length;
  const isMoney = (f) => MONEY_KINDS.has(f.kind) ||
    (CLAIM_KINDS.has(f.kind) && String(f.metric ?? metrics[f.event] ?? '').startsWith('funding.'));
  fill($('reconciliation'),
    h('p', { class: ok ? 'recon-status ok' : 'recon-status not-ok', 'data-testid': 'recon-status', 'data-ok': String(ok) },
      ok ? t('recon.ok') : t('recon.not_ok', { errors, warnings: findings.length - errors })),
    ordered.length ? h('ul', { class: 'findings' }, ordered.map((f) => {
      const number = isMoney(f) ? formatMoney : formatInt;
      return h('li', { class: `finding ${f.severity}`, 'data-testid': 'finding', 'data-kind': f.kind, 'data-severity': f.severity },
        h('p', { class: 'finding-head' }, h('span', { class: `badge severity-${f.severity}` }, t(`severity.${f.severity}`)), ' ',
          h('strong', {}, t(`finding.${f.kind}`)), ' ', h('code', {}, f.kind)),
        definitions([
          f.plan ? [t('recon.plan'), h('code', {}, f.plan)] : null,
          f.year !== null && f.year !== undefined ? [t('recon.year'), String(f.year)] : null,
          f.indicator ? [t('recon.indicator'), h('code', {}, f.indicator)] : null,
          [t('recon.expected'), h('span', { 'data-field': 'expected' }, number(f.expected))],
          [t('recon.actual'), h('span', { 'data-field': 'actual' }, number(f.actual))],
          [t('recon.difference'), h('span', { 'data-field': 'difference' }, number(f.difference))],
        ]),
        f.message ? h('p', { class: 'finding-message' }, f.message) : null,
        f.event ? eventButton(f.event) : null);
    })) : h('p', {}, t('recon.none')));
}

// ----- Event log and event detail -----------------------------------------------------------

function fillTypeSelect(select, firstOption) {
  fill(select, firstOption, TYPE_GROUPS.map(([groupKey, types]) =>
    h('optgroup', { 'data-i18n-attr': `label:${groupKey}` }, types.map((type) =>
      h('option', { value: type, 'data-i18n': `type.${type}`, 'data-i18n-suffix': ` (${type})` })))));
  applyLabels(select.parentElement);
}

async function loadLog(after) {
  logAfter = after;
  const mine = (generation.log = (generation.log ?? 0) + 1);
  $('log-panel').setAttribute('aria-busy', 'true');
  let result;
  try {
    result = { data: await get('/v1/events', {
      after, limit: $('log-limit').value.trim(), plan: $('log-plan').value, type: $('log-type').value,
    }) };
  } catch (error) {
    result = { error };
  }
  if (generation.log !== mine) return;
  cache.log = result;
  $('log-panel').setAttribute('aria-busy', 'false');
  renderLog();
}

/**
 * The attributes of a table's scrolling box: focusable, so that a keyboard can scroll it
 * (axe-core's scrollable-region-focusable), and named, so that a screen reader says which.
 */
const scrollRegion = (name) => ({ class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('table.scroll', { name }) });

/** The log has no point in time: it says so while the other panels show one. */
function showLogScope() {
  const scoped = Boolean(view.asOf || view.knownAt);
  $('log-scope').hidden = !scoped;
  $('log-scope').textContent = scoped ? t('log.scope_all_dates', { view: $('view-summary').textContent }) : '';
}

function renderLog() {
  showLogScope();
  const { data, error } = cache.log;
  $('log-next').disabled = !data?.next_after;
  if (error) return fill($('event-log'), h('p', { class: 'panel-error', 'data-testid': 'panel-error' }, problemText(error)));
  const { events } = data;
  if (!events.length) return fill($('event-log'), h('p', {}, t('log.empty')));
  const headers = ['event.seq', 'event.type', 'event.plan', 'event.occurred_on', 'event.recorded_at', 'event.actor', 'event.data', 'event.hash'];
  fill($('event-log'), h('div', scrollRegion(t('log.heading')), h('table', { class: 'events', 'data-testid': 'event-table' },
    h('caption', {}, t('log.page', { from: events[0].seq, to: events.at(-1).seq })),
    // "Recorded at" is shown in the viewer's time zone, which the header names.
    h('thead', {}, h('tr', {}, headers.map((key) => h('th', { scope: 'col', 'data-column': key },
      key === 'event.recorded_at' ? `${t(key)} (${timeZone()})` : t(key))))),
    h('tbody', {}, events.map((e) => h('tr', { 'data-testid': 'event-row', 'data-seq': e.seq, 'data-id': e.id },
      h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => openEvent(e.id), 'aria-label': `${t('event.open')} seq ${e.seq}` }, String(e.seq))),
      h('td', {}, h('code', {}, e.type)),
      h('td', {}, h('code', {}, e.plan)),
      h('td', { class: 'nowrap' }, dateText(e.occurred_on), e.date_precision === 'day' ? null : h('small', {}, ` (${t(`precision.${e.date_precision}`)})`)),
      h('td', { class: 'nowrap' }, h('time', { datetime: e.recorded_at, title: e.recorded_at }, momentText(e.recorded_at))),
      h('td', {}, e.actor),
      h('td', {}, h('code', { class: 'data-json' }, stringifyJson(e.data))),
      h('td', { class: 'hashes' },
        h('code', { class: 'hash', title: e.hash, 'data-testid': 'event-hash' }, e.hash),
        h('code', { class: 'hash prev', title: `${t('event.prev_hash')}: ${e.prev_hash}` }, `← ${e.prev_hash}`))))))));
}

$('log-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  loadLog($('log-after').value.trim() || 0);
});
$('log-first').addEventListener('click', () => loadLog($('log-after').value.trim() || 0));
$('log-next').addEventListener('click', () => loadLog(cache.log.data.next_after));

async function openEvent(id) {
  const section = $('event-detail');
  section.hidden = false;
  fill($('event-detail-body'), h('p', {}, t('panel.loading')));
  try {
    cache.event = { data: await get(`/v1/events/${encodeURIComponent(id)}`) };
  } catch (error) {
    cache.event = { error };
  }
  renderEventDetail();
  section.scrollIntoView({ block: 'start' });
  $('event-detail-heading').focus();
}

function closeEventDetail() {
  $('event-detail').hidden = true;
  $('log-heading').focus(); // the focused button is gone; resume from the log
}

function renderEventDetail() {
  const { data: e, error } = cache.event;
  const close = h('button', { type: 'button', class: 'secondary', onclick: closeEventDetail }, t('event.close'));
  if (error) {
    const message = error instanceof ApiError && error.status === 404 ? t('event.not_found') : problemText(error);
    return fill($('event-detail-body'), h('p', { class: 'panel-error' }, message), close);
  }
  // Corrections and retractions cannot themselves be corrected (CONTRACT §2.3).
  const correctable = canRecord() && !e.type.startsWith('event.');
  fill($('event-detail-body'),
    definitions([
      [t('event.seq'), String(e.seq)],
      [t('event.id'), h('code', {}, e.id)],
      [t('event.type'), h('code', {}, e.type), ` — ${t(`type.${e.type}`)}`],
      [t('event.plan'), h('code', {}, e.plan)],
      [t('event.version'), String(e.version)],
      [t('event.occurred_on'), h('time', { datetime: e.occurred_on, 'data-testid': 'event-occurred-on' }, dateText(e.occurred_on)),
        ` (${t(`precision.${e.date_precision}`)})`],
      [t('event.recorded_at'), h('time', { datetime: e.recorded_at }, spellDateTime(e.recorded_at, view.lang)), ' ', h('small', {}, e.recorded_at)],
      [t('event.actor'), e.actor],
      [t('event.evidence'), e.evidence
        ? [e.evidence.document, e.evidence.locator ? h('br') : null, e.evidence.locator ? h('small', {}, e.evidence.locator) : null]
        : t('event.no_evidence')],
      [t('event.prev_hash'), h('code', { class: 'hash-full' }, e.prev_hash)],
      [t('event.hash'), h('code', { class: 'hash-full', 'data-testid': 'event-detail-hash' }, e.hash)],
    ]),
    h('h4', {}, t('event.data')),
    eventFields(e.data),
    h('details', { class: 'raw-json' }, h('summary', {}, t('event.raw_json')),
      h('pre', { class: 'code', 'data-testid': 'event-data' }, stringifyJson(e.data, 2))),
    h('div', { class: 'actions' },
      correctable ? h('button', { type: 'button', 'data-testid': 'correct-event', onclick: () => startCorrection(e, 'event.corrected') }, t('event.correct')) : null,
      correctable ? h('button', { type: 'button', 'data-testid': 'retract-event', onclick: () => startCorrection(e, 'event.retracted') }, t('event.retract')) : null,
      close));
}

/** A label for a data field in the page's language, or null when the page has none. */
function fieldLabel(key) {
  const label = t(`field.${key}`);
  return label === `field.${key}` ? null : label;
}

/** A value of event data as text: money grouped, names of sources and channels translated. */
function fieldValue(key, value) {
  if (value === null || value === undefined) return '—';
  if (key === 'amount' && (typeof value === 'number' || typeof value === 'bigint')) return formatMoney(value);
  if (typeof value === 'number' || typeof value === 'bigint') return formatInt(value);
  if (typeof value === 'boolean') return value ? '✓' : '✗';
  if (key === 'source' || key === 'channel') {
    const name = t(`${key}.${value}`);
    return name === `${key}.${value}` ? String(value) : `${name} (${value})`;
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(String(value))) return dateText(String(value));
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'object' ? stringifyJson(item) : String(item))).join('; ');
  return String(value);
}

/**
 * An event's data as labelled fields in the page's language (the JSON key beside each label,
 * for whoever reads the API); nested objects (a period, participants by group) nest.
 */
function eventFields(data) {
  const rows = (object) => Object.entries(object ?? {}).map(([key, value]) => h('div', { 'data-key': key },
    h('dt', {}, fieldLabel(key) ?? key, ' ', h('code', { class: 'json-key' }, key)),
    h('dd', {}, value && typeof value === 'object' && !Array.isArray(value)
      ? h('dl', { class: 'facts nested' }, rows(value))
      : fieldValue(key, value))));
  return h('dl', { class: 'facts', 'data-testid': 'event-fields' }, rows(data));
}

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

// ----- Recording --------------------------------------------------------------------------

function buildRecordForm(type, values = {}) {
  recordForm = new RecordForm(type, record.plans);
  recordForm.setValues(values);
  fill($('record-fields'), recordForm.el);
}

$('record-type').addEventListener('change', (event) => {
  // What the types share (plan, date, evidence) follows to the new type's form.
  buildRecordForm(event.target.value, recordForm?.commonValues());
});

function startCorrection(e, type) {
  $('record-type').value = type;
  buildRecordForm(type, {
    plan: e.plan,
    occurred_on: dateText(todayIso()),
    'data.target': e.id,
    'data.data': type === 'event.corrected' ? stringifyJson(e.data, 2) : null,
  });
  fill($('record-result'));
  $('record-panel').scrollIntoView({ block: 'start' });
  recordForm.control('data.reason').focus();
}

/** What was stored, repeated in words: act, plan, date and amount (when it has one). */
function storedMessage(status, stored) {
  const amount = stored.data?.amount;
  return t(status === 200 ? 'record.stored_repeated' : 'record.stored', {
    act: `${t(`type.${stored.type}`)} (${stored.type})`,
    plan: stored.plan,
    date: spellDate(stored.occurred_on, view.lang),
    amount: amount === undefined || amount === null ? '' : `, ${formatMoney(amount)}`,
    seq: stored.seq,
    id: stored.id,
  });
}

$('record-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = recordForm;
  try {
    await form.resolveAmounts();
  } catch (error) {
    form.clearErrors();
    return form.showErrors([], t('record.failed', { status: error.status ?? 0, detail: problemText(error) }));
  }
  const { body, errors } = form.collect();
  form.clearErrors();
  fill($('record-result'));
  if (errors.length) return form.showErrors(errors, t('record.fix'));
  const submit = $('record-submit');
  submit.disabled = true;
  announce(t('record.sending'));
  try {
    const { status, body: stored } = await request('/v1/events', { method: 'POST', body: serialize(body) });
    const message = storedMessage(status, stored);
    announce(message);
    // A fresh form (and so a fresh idempotency key) for the next event; shared fields stay.
    const { expected_version: _, ...keep } = form.commonValues();
    await loadRecordFacts();
    buildRecordForm(form.type, keep);
    fill($('record-result'), h('p', { class: 'success' }, message, ' ', eventButton(stored.id)));
    refreshPanels(PANEL_NAMES);
    loadLog(logAfter);
  } catch (error) {
    announce('');
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401) return; // signed out by the 401 handler
    const detail = error.status === 0 ? t('net.unreachable') : error.message;
    form.showErrors(error.errors, t('record.failed', { status: error.status, detail }));
  } finally {
    submit.disabled = false;
  }
});

// ----- Start ------------------------------------------------------------------------------

fillTypeSelect($('record-type'), null);
// The form opens on the act recorded most often (in the demo record: outreach, 9 of 52 events,
// with targets, which are set once a plan), not on plan.registered, the rarest.
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
