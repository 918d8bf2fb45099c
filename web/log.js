// The event log at the point in time shown (GET /v1/events?as_of&known_at, searched by `q`),
// each event's title as text and its data as labelled fields, and the detail of one event.

import { ApiError, get } from './api.js';
import { h, fill } from './dom.js';
import { spellDateTime, timeZone } from './dates.js';
import { formatInt, formatMoney } from './format.js';
import { applyLabels, t } from './i18n.js';
import { stringifyJson } from './json.js';
import { TYPE_GROUPS } from './forms.js';
import { startCorrection } from './record.js';
import {
  $, cache, canRecord, dateText, definitions, generation, momentText, problemText, scrollRegion, view,
} from './state.js';

/** Where the shown page of the event log starts, to reload it after recording. */
let logAfter = 0;

export function fillTypeSelect(select, firstOption) {
  fill(select, firstOption, TYPE_GROUPS.map(([groupKey, types]) =>
    h('optgroup', { 'data-i18n-attr': `label:${groupKey}` }, types.map((type) =>
      h('option', { value: type, 'data-i18n': `type.${type}`, 'data-i18n-suffix': ` (${type})` })))));
  applyLabels(select.parentElement);
}

/** The log's question: its filters, the search typed, and the view's point in time. */
function logQuery(after) {
  return {
    after,
    limit: $('log-limit').value.trim(),
    plan: $('log-plan').value,
    type: $('log-type').value,
    q: $('log-search').value.trim(),
    as_of: view.asOf,
    known_at: view.knownAt,
  };
}

/** Loads the page of the log after seq `after` (the same page again when omitted). */
export async function loadLog(after = logAfter) {
  logAfter = after;
  const mine = (generation.log = (generation.log ?? 0) + 1);
  const query = logQuery(after);
  $('log-panel').setAttribute('aria-busy', 'true');
  let result;
  try {
    result = { data: await get('/v1/events', query), query };
  } catch (error) {
    result = { error, query };
  }
  if (generation.log !== mine) return;
  cache.log = result;
  $('log-panel').setAttribute('aria-busy', 'false');
  renderLog();
}

/** What the shown page is of, in words: the point in time and the search it answers. */
function showLogScope() {
  const { query } = cache.log ?? { query: logQuery(0) };
  const parts = [];
  if (query.as_of || query.known_at) parts.push(t('log.scope_time', { view: $('view-summary').textContent }));
  if (query.q) parts.push(t('log.scope_search', { q: query.q }));
  $('log-scope').hidden = parts.length === 0;
  $('log-scope').textContent = parts.join(' ');
}

/** A decision's or a plan's title (and number), shown as text in its row. */
function eventTitle(e) {
  const title = e.data?.title;
  if (typeof title !== 'string') return null;
  const number = e.data.number ?? e.data.code;
  return h('p', { class: 'event-title', 'data-field': 'event-title' },
    number ? h('span', { class: 'doc-number' }, `${number} `) : null, title);
}

export function renderLog() {
  if (!cache.log) return;
  showLogScope();
  const { data, error } = cache.log;
  $('log-next').disabled = !data?.next_after;
  if (error) return fill($('event-log'), h('p', { class: 'panel-error', 'data-testid': 'panel-error' }, problemText(error)));
  const { events } = data;
  // A page at a point in time or of a search looks through at most 10,000 events: one that
  // found nothing there but has more of the log beyond says so, and "next page" goes on.
  if (!events.length) {
    return fill($('event-log'), h('p', { 'data-testid': 'log-empty' },
      data.next_after ? t('log.empty_window', { to: data.next_after }) : t('log.empty')));
  }
  const headers = ['event.seq', 'event.type', 'event.plan', 'event.occurred_on', 'event.recorded_at', 'event.actor', 'event.data', 'event.hash'];
  fill($('event-log'), h('div', scrollRegion(t('log.heading')), h('table', { class: 'events', 'data-testid': 'event-table' },
    h('caption', {}, t('log.page', { from: events[0].seq, to: events.at(-1).seq })),
    // "Recorded at" is shown in the viewer's time zone, which the header names.
    h('thead', {}, h('tr', {}, headers.map((key) => h('th', { scope: 'col', 'data-column': key },
      key === 'event.recorded_at' ? `${t(key)} (${timeZone()})` : t(key))))),
    h('tbody', {}, events.map((e) => h('tr', { 'data-testid': 'event-row', 'data-seq': e.seq, 'data-id': e.id, 'data-type': e.type, 'data-occurred-on': e.occurred_on },
      h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => openEvent(e.id), 'aria-label': `${t('event.open')} seq ${e.seq}` }, String(e.seq))),
      h('td', {}, t(`type.${e.type}`), h('br'), h('code', {}, e.type)),
      h('td', {}, h('code', {}, e.plan)),
      h('td', { class: 'nowrap' }, dateText(e.occurred_on), e.date_precision === 'day' ? null : h('small', {}, ` (${t(`precision.${e.date_precision}`)})`)),
      h('td', { class: 'nowrap' }, h('time', { datetime: e.recorded_at, title: e.recorded_at }, momentText(e.recorded_at))),
      h('td', {}, e.actor),
      h('td', { class: 'event-what' },
        eventTitle(e),
        eventFields(e.data, 'event-row-fields', new Set(['title'])),
        h('details', { class: 'raw-json' }, h('summary', {}, t('event.raw_json')),
          h('pre', { class: 'code', 'data-testid': 'event-row-json' }, stringifyJson(e.data, 2)))),
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

export const eventButton = (id) =>
  h('button', { type: 'button', class: 'link', 'data-event': id, onclick: () => openEvent(id) }, t('detail.open_event'));

export async function openEvent(id) {
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

export function renderEventDetail() {
  if (!cache.event) return;
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
      [t('event.recorded_at'), h('time', { datetime: e.recorded_at, 'data-testid': 'event-recorded-at' }, spellDateTime(e.recorded_at, view.lang)),
        ' ', h('small', {}, e.recorded_at)],
      [t('event.actor'), e.actor],
      [t('event.evidence'), e.evidence
        ? [e.evidence.document, e.evidence.locator ? h('br') : null, e.evidence.locator ? h('small', {}, e.evidence.locator) : null]
        : t('event.no_evidence')],
      [t('event.prev_hash'), h('code', { class: 'hash-full' }, e.prev_hash)],
      [t('event.hash'), h('code', { class: 'hash-full', 'data-testid': 'event-detail-hash' }, e.hash)],
    ]),
    h('h4', {}, t('event.data')),
    eventFields(e.data, 'event-fields'),
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
  // A year is a name, not a quantity: 2015, not 2.015.
  if (/(^|_)year$/.test(key) && (typeof value === 'number' || typeof value === 'bigint')) return String(value);
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
 * for whoever reads the API); nested objects (a period, participants by group) nest. `skip`:
 * keys shown otherwise (a title, as text above the fields in the log).
 */
function eventFields(data, testid, skip = new Set()) {
  const rows = (object, top) => Object.entries(object ?? {}).filter(([key]) => !(top && skip.has(key))).map(([key, value]) =>
    h('div', { 'data-key': key },
      h('dt', {}, fieldLabel(key) ?? key, ' ', h('code', { class: 'json-key' }, key)),
      h('dd', {}, value && typeof value === 'object' && !Array.isArray(value)
        ? h('dl', { class: 'facts nested' }, rows(value, false))
        : fieldValue(key, value))));
  return h('dl', { class: 'facts', 'data-testid': testid }, rows(data, true));
}
