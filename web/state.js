// What the page's modules share: the view the URL carries, who is signed in, record-wide facts,
// the last answer of each panel, and the small helpers every panel draws with.

import { ApiError } from './api.js';
import { h } from './dom.js';
import { showDate, showDateTime } from './dates.js';
import { t } from './i18n.js';

export const $ = (id) => document.getElementById(id);

/** What the URL carries: the view an auditor can send to a colleague. */
export const view = { lang: 'vi', asOf: null, knownAt: null, plan: null };
export const session = { name: null, role: null };
/** Record-wide facts, independent of the point in time: plans that may be recorded on, years. */
export const record = { plans: [], minYear: new Date().getFullYear(), maxYear: new Date().getFullYear() };
/** The last answer (`{data}` or `{error}`) of each panel, so a language switch redraws without asking again. */
export const cache = {};
/** Each panel's latest question: an answer to an older one is dropped. */
export const generation = {};

export const canRecord = () => session.role === null || session.role === 'admin' || session.role === 'recorder';

export function announce(message) {
  $('status').textContent = message;
}

export function problemText(error) {
  if (error instanceof ApiError) return error.status === 0 ? t('net.unreachable') : `${error.status}: ${error.message}`;
  return String(error);
}

/** A date (`yyyy-mm-dd`) and a moment (RFC 3339) in the page's convention (dates.js). */
export const dateText = (iso) => showDate(iso, view.lang);
export const momentText = (instant) => showDateTime(instant, view.lang);

export const timeQuery = () => ({ as_of: view.asOf, known_at: view.knownAt });
export const scopedQuery = () => ({ ...timeQuery(), plan: view.plan });

export const definitions = (rows) => h('dl', { class: 'facts' },
  rows.filter(Boolean).map(([term, ...values]) => h('div', {}, h('dt', {}, term), h('dd', {}, ...values))));

/**
 * The attributes of a table's scrolling box: focusable, so that a keyboard can scroll it
 * (axe-core's scrollable-region-focusable), and named, so that a screen reader says which.
 */
export const scrollRegion = (name) => ({ class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('table.scroll', { name }) });
