// The panels that show the record at the point in time and for the plan in view: the plan
// tree and a plan's detail, funding (with its chart and the replay chart), the yearly summary
// and reconciliation. Each asks its own endpoint and draws its last answer again on demand.

import { ApiError, download, get } from './api.js';
import { fundingChart, indicatorBars, sourceClass, sourcesOf, STAGES } from './charts.js';
import { h, fill } from './dom.js';
import { formatInt, formatMoney } from './format.js';
import { t } from './i18n.js';
import { stringifyJson } from './json.js';
import { eventButton } from './log.js';
import { replayChart, replayTable } from './replay.js';
import {
  $, announce, cache, dateText, definitions, generation, problemText, scopedQuery, scrollRegion, timeQuery, view,
} from './state.js';

let lastChartWidth = 0;
let lastReplayWidth = 0;
/** What the page does when the plan in view changes (the URL, the prepared statement). */
let planChanged = () => {};

export function onPlanChange(callback) {
  planChanged = callback;
}

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
  replay: {
    host: 'replay',
    // The whole record as known at known_at (the grey line) and the record at the date.
    load: async () => {
      const whole = get('/v1/funding', { known_at: view.knownAt, plan: view.plan });
      const shown = view.asOf ? get('/v1/funding', scopedQuery()) : whole;
      return { whole: (await whole).by_year, shown: (await shown).by_year, asOf: view.asOf };
    },
    render: renderReplay,
  },
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
export const PANEL_NAMES = Object.keys(panels);
export const PLAN_PANELS = ['detail', 'funding', 'replay', 'yearly', 'reconciliation'];

/** Asks again for each named panel; an answer that arrives after a newer question is dropped. */
export function refreshPanels(names) {
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

/** Draws again every panel that has an answer (after a language switch). */
export function renderPanels() {
  for (const [name, panel] of Object.entries(panels)) if (cache[name]) panel.render();
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

export function selectPlan(plan) {
  view.plan = plan;
  planChanged();
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

function renderReplay() {
  if (showError('replay')) return;
  const { whole, shown, asOf } = cache.replay.data;
  if (!whole.length && !shown.length) return fill($('replay'), h('p', {}, t('funding.empty')));
  const chartHost = h('div', { id: 'replay-chart', class: 'chart' });
  fill($('replay'), chartHost,
    h('ul', { class: 'legend', 'aria-label': t('funding.legend') },
      h('li', {}, h('span', { class: 'swatch line-allocated', 'aria-hidden': 'true' }), t('replay.legend_allocated')),
      h('li', {}, h('span', { class: 'swatch line-disbursed', 'aria-hidden': 'true' }), t('replay.legend_disbursed')),
      h('li', {}, h('span', { class: 'swatch line-ghost', 'aria-hidden': 'true' }), t('replay.legend_whole'))),
    h('details', {}, h('summary', {}, t('replay.table')), replayTable(shown, whole, asOf, scrollRegion(t('replay.table')))));
  drawReplayChart();
}

function drawReplayChart() {
  const host = $('replay-chart');
  if (!host || !cache.replay?.data) return;
  const { whole, shown, asOf } = cache.replay.data;
  lastReplayWidth = host.clientWidth || 600;
  fill(host, replayChart(whole, shown, asOf, lastReplayWidth, asOf ? dateText(asOf) : ''));
}

new ResizeObserver(() => {
  const host = $('replay-chart');
  if (host && Math.abs(host.clientWidth - lastReplayWidth) > 8) drawReplayChart();
}).observe($('replay'));

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
  // Each cell carries its column's name, which a phone shows above it: at 390 px the table is
  // stacked, one year a block (app.css), instead of 11 columns of which 3 would fit.
  const training = t('yearly.training');
  const labels = {
    decisions: t('yearly.decisions'),
    'plans-approved': t('yearly.plans_approved'),
    'training-events': `${training} · ${t('yearly.training_events')}`,
    'training-sessions': `${training} · ${t('yearly.training_sessions')}`,
    'training-participants': `${training} · ${t('yearly.training_participants')}`,
    outreach: t('yearly.outreach'),
    assessments: t('yearly.assessments'),
    staff: t('yearly.staff'),
    units: t('yearly.units'),
    funding: t('yearly.funding'),
  };
  const cell = (field, ...content) => h('td', { 'data-field': field, 'data-label': labels[field] }, ...content);
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
