// The record form: one form per event type (forms.js), sent as POST /v1/events, what was
// stored repeated in words; corrections and retractions start from an event's detail.

import { ApiError, request } from './api.js';
import { h, fill } from './dom.js';
import { spellDate, todayIso } from './dates.js';
import { formatMoney } from './format.js';
import { t } from './i18n.js';
import { stringifyJson } from './json.js';
import { RecordForm, serialize } from './forms.js';
import { eventButton } from './log.js';
import { $, announce, dateText, problemText, record, view } from './state.js';

let recordForm = null;
/** What the page does once something was stored (reload the plans, the panels and the log). */
let afterRecording = async () => {};

export function onRecorded(callback) {
  afterRecording = callback;
}

/** Forgets the form (on sign-out). */
export function dropRecordForm() {
  recordForm = null;
}

export function buildRecordForm(type, values = {}) {
  recordForm = new RecordForm(type, record.plans);
  recordForm.setValues(values);
  fill($('record-fields'), recordForm.el);
}

$('record-type').addEventListener('change', (event) => {
  // What the types share (plan, date, evidence) follows to the new type's form.
  buildRecordForm(event.target.value, recordForm?.commonValues());
});

export function startCorrection(e, type) {
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
    await afterRecording();
    buildRecordForm(form.type, keep);
    fill($('record-result'), h('p', { class: 'success' }, message, ' ', eventButton(stored.id)));
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
