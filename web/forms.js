// Recording forms for every event type of CONTRACT §2.1–§2.3: their fields, how typed values
// become a request body, and how the server's problem+json errors land next to the fields
// their JSON Pointers name.

import { ApiError, get } from './api.js';
import { parseDate, spellDate } from './dates.js';
import { h } from './dom.js';
import { t, applyLabels, language } from './i18n.js';
import { parseJson, RawNumber, stringifyJson } from './json.js';

export const TYPE_GROUPS = [
  ['record.group_lifecycle', ['plan.registered', 'plan.submitted', 'plan.approved', 'plan.completed', 'plan.cancelled']],
  ['record.group_acts', ['decision.issued', 'unit.established', 'staff.assigned', 'training.held',
    'outreach.delivered', 'assessment.completed', 'progress.reported', 'target.set',
    'funds.planned', 'funds.allocated', 'funds.disbursed', 'total.reported']],
  ['record.group_corrections', ['event.corrected', 'event.retracted']],
];

const REQUIRED = { required: true };
const text = (name, extra = {}) => ({ kind: 'text', name, ...extra });
const long = (name, extra = {}) => ({ kind: 'textarea', name, ...extra });
const int = (name, extra = {}) => ({ kind: 'int', name, ...extra });
const choice = (name, options, optionKey, extra = {}) => ({ kind: 'choice', name, options, optionKey, ...extra });

const FUNDS = [
  int('fiscal_year', REQUIRED),
  choice('source', ['central', 'local', 'other'], 'source.', REQUIRED),
  int('amount', { required: true, money: true }),
  text('budget_line'),
  text('document'),
];

/** The `data` fields of each type, in the contract's order. */
const DATA_FIELDS = {
  'plan.registered': [
    text('title', REQUIRED), text('code'), text('issuer'),
    choice('kind', ['strategy', 'programme', 'plan', 'annual_plan', 'project'], 'kind.', { required: true, label: 'field.plan_kind' }),
    { kind: 'group', name: 'period', required: true, fields: [int('period.from_year', REQUIRED), int('period.to_year', REQUIRED)] },
    { kind: 'plan', name: 'parent' },
  ],
  'plan.submitted': [text('to'), text('document')],
  'plan.approved': [text('decision', REQUIRED), text('approved_by')],
  'plan.completed': [long('note')],
  'plan.cancelled': [long('reason', REQUIRED)],
  'decision.issued': [
    text('number', REQUIRED), text('issuer', REQUIRED), long('title', { required: true, label: 'field.decision_title' }),
    choice('kind', ['decision', 'plan', 'directive', 'report', 'other'], 'option.', { label: 'field.decision_kind' }),
    { kind: 'lines', name: 'basis' },
  ],
  'unit.established': [text('name', REQUIRED), text('decision')],
  'staff.assigned': [text('unit', REQUIRED), int('count', REQUIRED), text('role')],
  'training.held': [
    text('topic', { required: true, suggestions: ['cleaner_production', 'energy_efficiency'] }),
    int('sessions', REQUIRED), int('participants'),
    { kind: 'groups', name: 'participants_by_group' },
    int('organisations'),
    { kind: 'bool', name: 'approximate' },
  ],
  'outreach.delivered': [
    choice('channel', ['radio', 'tv', 'bulletin', 'booklet', 'banner', 'website', 'workshop', 'other'], 'channel.', REQUIRED),
    int('items', REQUIRED), long('note'),
  ],
  'assessment.completed': [
    choice('kind', ['rapid', 'detailed'], 'option.', { required: true, label: 'field.assessment_kind' }),
    int('enterprises', REQUIRED),
  ],
  'progress.reported': [text('indicator', REQUIRED), int('quantity', REQUIRED), long('note')],
  'target.set': [text('indicator', REQUIRED), int('year', REQUIRED), int('quantity', REQUIRED), text('unit', { label: 'field.unit_measure' })],
  'funds.planned': FUNDS,
  'funds.allocated': FUNDS,
  'funds.disbursed': FUNDS,
  'total.reported': [
    text('metric', { required: true, suggestions: ['funding.planned', 'funding.allocated', 'funding.disbursed', 'funding.budget'] }),
    int('amount', { required: true, money: true }), long('amount_in_words'),
    int('from_year'), int('to_year'), text('document'),
  ],
  'event.corrected': [
    text('target', REQUIRED), long('reason', REQUIRED),
    { kind: 'json', name: 'data' },
    { kind: 'date', name: 'occurred_on', label: 'field.new_occurred_on' },
  ],
  'event.retracted': [text('target', REQUIRED), long('reason', REQUIRED)],
};

// ---------------------------------------------------------------------------------------
// Numbers are sent exactly as typed. A run of digits becomes a JSON integer; anything else
// that reads as a JSON number (12.5, -3, 1e3) or an integer too large for a double is put in
// the body as the typed digits, so that the server — the authority — refuses it and names
// the field, instead of the page rounding it or quietly turning it into something valid.
// Any other text is sent as a string, which the server refuses just as clearly.

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

// Amounts are typed the Vietnamese way too: grouped by three with dots or spaces
// (587.000.000, 587 000 000), or in words (năm trăm tám mươi bảy triệu đồng). The words are read
// by the server (GET /v1/amounts: the reader reconciliation uses), which also spells what it
// read, so the field can show the figure and the words it understood before anything is sent.
// The body still carries the integer.

const GROUPED = /^(\d{1,3}(?:([. \u00a0\u202f])\d{3})(?:\2\d{3})*)\s*(?:₫|đồng|đ|VND)?$/u;

/** A typed amount grouped by three (587.000.000, 587 000 000) → its digits, else null. */
export function groupedDigits(typed) {
  const match = GROUPED.exec(typed.trim());
  return match ? match[1].replace(/\D/g, '') : null;
}

/** Text that is neither digits nor a JSON number: the server may read it as words. */
const mayBeWords = (typed) => /\p{L}/u.test(typed) && !JSON_NUMBER.test(typed.trim());

export function numberValue(typed) {
  const value = typed.trim();
  if (/^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  if (/^\d+$/.test(value) || JSON_NUMBER.test(value)) return new RawNumber(value);
  return typed;
}

/** JSON text of `body`, with RawNumber values written as typed and BigInts as their digits. */
export function serialize(body) {
  return stringifyJson(body);
}

// ---------------------------------------------------------------------------------------

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A fresh ULID: the idempotency key of one submission, so a repeated send never records twice. */
function ulid() {
  let time = '';
  for (let ms = Date.now(), i = 0; i < 10; i++, ms = Math.floor(ms / 32)) time = CROCKFORD[ms % 32] + time;
  const random = Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => CROCKFORD[byte % 32]);
  return time + random.join('');
}

let nextId = 0;
const domId = (name) => `f${++nextId}-${name.replace(/[^\w-]/g, '-')}`;

/** Slot keys are the unescaped segments of a JSON Pointer joined by '/', e.g. 'data/amount'. */
const slotKey = (name) => name.split('.').join('/');

export class RecordForm {
  /**
   * @param type an event type of TYPE_GROUPS
   * @param plans `[{plan, title}]` for the plan selects
   */
  constructor(type, plans) {
    this.type = type;
    this.plans = plans;
    this.slots = new Map();
    this.groupRows = null;
    this.eventId = ulid();
    this.formError = h('div', { class: 'form-error', 'data-testid': 'form-error', role: 'alert', tabindex: '-1', hidden: true });
    this.el = h('div', { class: 'record-fields' },
      this.commonFields(),
      h('fieldset', { class: 'data-fields' },
        h('legend', { 'data-i18n': `type.${type}`, 'data-i18n-suffix': ` (${type})` }),
        DATA_FIELDS[type].map((spec) => this.dataField(spec))),
      this.formError);
    applyLabels(this.el);
  }

  commonFields() {
    const planControl = this.type === 'plan.registered'
      ? h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', pattern: '[a-z0-9][a-z0-9\\-]{0,63}' })
      : this.planSelect();
    const precision = h('select', {}, ['day', 'month', 'year'].map((p) => option(p, `precision.${p}`)));
    return [
      this.block('plan', this.type === 'plan.registered' ? 'field.plan_key' : 'field.plan', planControl, true),
      this.block('occurred_on', 'field.occurred_on', dateInput(), true, { date: true }),
      this.block('date_precision', 'field.date_precision', precision),
      this.groupBlock('evidence', 'field.evidence', false, [
        this.block('evidence.document', 'field.evidence.document', h('input', { type: 'text' })),
        this.block('evidence.locator', 'field.evidence.locator', h('input', { type: 'text' })),
      ]),
      this.block('expected_version', 'field.expected_version', numericInput()),
    ];
  }

  planSelect() {
    return h('select', {}, h('option', { value: '', 'data-i18n': 'record.none' }),
      this.plans.map(({ plan, title }) => h('option', { value: plan }, `${plan} — ${title}`)));
  }

  dataField(spec) {
    const name = `data.${spec.name}`;
    const label = spec.label ?? `field.${spec.name}`;
    switch (spec.kind) {
      case 'text': {
        const input = h('input', { type: 'text' });
        if (!spec.suggestions) return this.block(name, label, input, spec.required);
        const list = h('datalist', { id: domId(`${name}-list`) }, spec.suggestions.map((s) => h('option', { value: s })));
        input.setAttribute('list', list.id);
        return [this.block(name, label, input, spec.required), list];
      }
      case 'textarea': return this.block(name, label, h('textarea', { rows: 2 }), spec.required);
      case 'int': return this.block(name, label, spec.money ? amountInput() : numericInput(), spec.required, { money: spec.money });
      case 'choice': return this.block(name, label, h('select', {},
        h('option', { value: '', 'data-i18n': 'record.none' }),
        spec.options.map((value) => option(value, `${spec.optionKey}${value}`))), spec.required);
      case 'plan': return this.block(name, label, this.planSelect());
      case 'bool': return this.block(name, label, h('input', { type: 'checkbox', value: 'true' }));
      case 'date': return this.block(name, label, dateInput(), false, { date: true });
      case 'lines': return this.block(name, label, h('textarea', { rows: 3, spellcheck: 'false' }));
      case 'json': return this.block(name, label, h('textarea', { rows: 8, spellcheck: 'false', class: 'code' }));
      case 'group': return this.groupBlock(name, label, spec.required, spec.fields.map((f) =>
        this.block(`data.${f.name}`, `field.${f.name}`, numericInput(), f.required)));
      case 'groups': return this.groupsField(name, label);
      default: throw new Error(`unknown field kind ${spec.kind}`);
    }
  }

  /** One labelled control with its hint and error slot. */
  block(name, labelKey, control, required = false, { money = false, date = false } = {}) {
    const id = domId(name);
    const error = h('p', { class: 'field-error', id: `${id}-error`, 'data-testid': 'field-error', hidden: true });
    Object.assign(control, { id, name });
    if (required) control.setAttribute('aria-required', 'true');
    let hint = null;
    if (money || date) {
      // What the field understood, before anything is sent: 05/06/2015 is "ngày 5 tháng 6 năm
      // 2015", 587.000.000 is "587.000.000 ₫ — Năm trăm tám mươi bảy triệu đồng".
      hint = h('p', { class: 'hint', id: `${id}-hint`, 'data-testid': 'understood', 'aria-live': 'polite' });
      control.setAttribute('aria-describedby', hint.id);
      const echo = money ? () => this.echoAmount(name, control, hint) : () => echoDate(control, hint);
      control.addEventListener('input', echo);
      control.addEventListener('blur', echo);
    }
    const isCheckbox = control.type === 'checkbox';
    const labelEl = h('label', { for: id }, h('span', { 'data-i18n': labelKey }),
      required ? [' ', h('span', { class: 'req', 'data-i18n': 'record.required' })] : null);
    this.slots.set(slotKey(name), { control, error, hint });
    return h('div', { class: isCheckbox ? 'field checkbox' : 'field', 'data-field': name },
      isCheckbox ? [control, labelEl] : [labelEl, control], hint, error);
  }

  /** A fieldset whose own error slot takes pointers to the object itself (e.g. /data/period). */
  groupBlock(name, labelKey, required, children) {
    const error = h('p', { class: 'field-error', id: domId(`${name}-error`), 'data-testid': 'field-error', hidden: true });
    const fieldset = h('fieldset', { class: 'group', 'data-field': name },
      h('legend', {}, h('span', { 'data-i18n': labelKey }),
        required ? [' ', h('span', { class: 'req', 'data-i18n': 'record.required' })] : null),
      children, error);
    this.slots.set(slotKey(name), { control: fieldset, error });
    return fieldset;
  }

  groupsField(name, labelKey) {
    this.groupRows = h('div', { class: 'group-rows' });
    const add = h('button', { type: 'button', class: 'secondary', 'data-i18n': 'field.add_group', onclick: () => this.addGroupRow(true) });
    const fieldset = this.groupBlock(name, labelKey, false, [this.groupRows, add]);
    this.addGroupRow(false);
    return fieldset;
  }

  addGroupRow(focus, group = '', count = '') {
    const groupId = domId('group');
    const countId = domId('count');
    const groupInput = h('input', { type: 'text', id: groupId, name: 'group', value: group });
    const countInput = numericInput();
    Object.assign(countInput, { id: countId, name: 'count', value: count });
    const error = h('p', { class: 'field-error', id: `${countId}-error`, 'data-testid': 'field-error', hidden: true });
    const row = h('div', { class: 'group-row', 'data-testid': 'group-row' },
      h('div', { class: 'field' }, h('label', { for: groupId, 'data-i18n': 'field.group' }), groupInput),
      h('div', { class: 'field' }, h('label', { for: countId, 'data-i18n': 'field.group_count' }), countInput),
      h('button', { type: 'button', class: 'secondary', 'data-i18n': 'field.remove_group', onclick: () => row.remove() }),
      error);
    row.fieldError = error;
    applyLabels(row);
    this.groupRows.append(row);
    if (focus) groupInput.focus();
  }

  control(name) {
    return this.slots.get(slotKey(name))?.control;
  }

  /** Reads a typed amount through GET /v1/amounts, once per text; resolves to `{amount, figures, words}` or null. */
  readAmount(typed) {
    this.amountReadings ??= new Map();
    const text = typed.trim();
    if (!this.amountReadings.has(text)) {
      this.amountReadings.set(text, get('/v1/amounts', { text }).catch((error) => {
        if (error instanceof ApiError && error.status === 422) return null;
        this.amountReadings.delete(text); // not an answer about the text: ask again next time
        throw error;
      }));
    }
    return this.amountReadings.get(text);
  }

  echoAmount(name, control, hint) {
    const typed = control.value;
    clearTimeout(control.echoTimer);
    if (typed.trim() === '' || (!groupedDigits(typed) && !/^\d+$/.test(typed.trim()) && !mayBeWords(typed))) {
      hint.replaceChildren();
      return;
    }
    control.echoTimer = setTimeout(async () => {
      let reading;
      try {
        reading = await this.readAmount(typed);
      } catch {
        return; // the server is unreachable; the submit will say so
      }
      if (control.value !== typed) return; // typed on since
      hint.replaceChildren(...(reading
        ? ['= ', h('strong', { 'data-field': 'figures' }, reading.figures), ' — ',
          h('span', { lang: 'vi', 'data-field': 'words' }, reading.words)]
        : [t('amount.unreadable_hint')]));
    }, 150);
  }

  /**
   * The amounts typed in grouped figures or words, read before the body is built: name →
   * integer, or `null` when the text could not be read as an amount. Plain digits and other
   * numbers are not in it: they are sent as typed (numberValue), for the server to judge.
   */
  async resolveAmounts() {
    this.amounts = new Map();
    for (const spec of DATA_FIELDS[this.type]) {
      if (!spec.money) continue;
      const typed = this.control(`data.${spec.name}`).value;
      const digits = groupedDigits(typed);
      if (digits !== null) this.amounts.set(spec.name, numberValue(digits));
      else if (mayBeWords(typed)) this.amounts.set(spec.name, (await this.readAmount(typed))?.amount ?? null);
    }
  }

  /** Sets controls by input name (`plan`, `data.target`, …); unknown names are ignored. */
  setValues(values) {
    for (const [name, value] of Object.entries(values)) {
      const control = this.control(name);
      if (control && 'value' in control && value !== undefined && value !== null) {
        control.value = value;
        control.dispatchEvent(new Event('input'));
      }
    }
  }

  /** The values of the fields every type shares, to carry them over to another type's form. */
  commonValues() {
    const names = ['occurred_on', 'date_precision', 'evidence.document', 'evidence.locator', 'expected_version'];
    if (this.type !== 'plan.registered') names.push('plan');
    return Object.fromEntries(names.map((name) => [name, this.control(name).value]));
  }

  /**
   * The request body built from what was typed, and the errors found locally (only what cannot
   * be put in JSON at all: unreadable JSON, a group named twice). Empty optional fields are
   * left out; text is sent exactly as typed.
   */
  collect() {
    const errors = [];
    const value = (name) => this.control(name).value;
    const body = { id: this.eventId, type: this.type };
    if (value('plan') !== '') body.plan = value('plan');
    const occurredOn = this.dateValue('occurred_on', errors);
    if (occurredOn !== null) body.occurred_on = occurredOn;
    body.date_precision = value('date_precision');
    const document = value('evidence.document');
    const locator = value('evidence.locator');
    if (document !== '' || locator !== '') {
      body.evidence = {};
      if (document !== '') body.evidence.document = document;
      if (locator !== '') body.evidence.locator = locator;
    }
    if (value('expected_version').trim() !== '') body.expected_version = numberValue(value('expected_version'));
    body.data = {};
    for (const spec of DATA_FIELDS[this.type]) this.collectField(spec, body.data, errors);
    return { body, errors };
  }

  collectField(spec, data, errors) {
    const name = `data.${spec.name}`;
    const control = this.control(name);
    switch (spec.kind) {
      case 'group':
        for (const field of spec.fields) this.collectField(field, data, errors);
        return;
      case 'groups':
        return this.collectGroups(data, errors);
      case 'bool':
        if (control.checked) data[spec.name] = true;
        return;
      case 'int':
        if (control.value.trim() === '') return;
        if (spec.money && this.amounts?.has(spec.name)) {
          const amount = this.amounts.get(spec.name);
          if (amount === null) errors.push({ field: `/${slotKey(name)}`, message: t('amount.unreadable', { text: control.value.trim() }) });
          else setPath(data, spec.name, amount);
          return;
        }
        setPath(data, spec.name, numberValue(control.value));
        return;
      case 'date': {
        const date = this.dateValue(name, errors);
        if (date !== null) setPath(data, spec.name, date);
        return;
      }
      case 'lines': {
        const lines = control.value.split(/\r?\n/).filter((line) => line.trim() !== '');
        if (lines.length) data[spec.name] = lines;
        return;
      }
      case 'json':
        if (control.value.trim() === '') return;
        try {
          data[spec.name] = parseJson(control.value); // a big integer stays exact
        } catch (error) {
          errors.push({ field: `/${slotKey(name)}`, message: t('record.bad_json', { message: error.message }) });
        }
        return;
      default:
        if (control.value !== '') setPath(data, spec.name, control.value);
    }
  }

  /** A date field's ISO date; null when empty, or unreadable (then with an error on the field). */
  dateValue(name, errors) {
    const typed = this.control(name).value;
    if (typed.trim() === '') return null;
    const date = parseDate(typed);
    if (date === null) errors.push({ field: `/${slotKey(name)}`, message: t('date.unreadable', { text: typed.trim() }) });
    return date;
  }

  collectGroups(data, errors) {
    // No prototype: a group may be called anything, '__proto__' included.
    const groups = Object.create(null);
    for (const key of this.slots.keys()) {
      if (key.startsWith('data/participants_by_group/')) this.slots.delete(key);
    }
    for (const row of this.groupRows.querySelectorAll('[data-testid=group-row]')) {
      const group = row.querySelector('[name=group]').value;
      const count = row.querySelector('[name=count]');
      if (group === '' && count.value.trim() === '') continue;
      const key = `data/participants_by_group/${group}`;
      // Register the row so that a pointer like /data/participants_by_group/<group> finds it.
      this.slots.set(key, { control: count, error: row.fieldError });
      if (Object.hasOwn(groups, group)) {
        errors.push({ field: `/${key}`, message: t('record.duplicate_group', { group }) });
      }
      groups[group] = count.value.trim() === '' ? '' : numberValue(count.value);
    }
    if (Object.keys(groups).length) data.participants_by_group = groups;
  }

  clearErrors() {
    for (const { control, error, hint } of this.slots.values()) {
      error.hidden = true;
      error.textContent = '';
      control.removeAttribute('aria-invalid');
      if (hint) control.setAttribute('aria-describedby', hint.id);
      else control.removeAttribute('aria-describedby');
    }
    this.formError.hidden = true;
    this.formError.replaceChildren();
  }

  /**
   * Shows each `{field, message}` next to the control its JSON Pointer names (the longest
   * prefix of the pointer that names a control), the rest at form level with `summary`.
   * Focuses the first marked control.
   */
  showErrors(errors, summary) {
    const formLevel = [];
    let first = null;
    for (const { field, message } of errors) {
      const slot = this.slotFor(field ?? '');
      if (!slot) {
        formLevel.push(field ? `${field}: ${message}` : message);
        continue;
      }
      slot.error.hidden = false;
      slot.error.append(h('span', {}, message), ' ');
      slot.control.setAttribute('aria-invalid', 'true');
      slot.control.setAttribute('aria-describedby', [slot.hint?.id, slot.error.id].filter(Boolean).join(' '));
      first ??= slot.control;
    }
    this.formError.hidden = false;
    this.formError.replaceChildren(h('p', {}, summary), formLevel.length
      ? h('ul', {}, formLevel.map((message) => h('li', {}, message)))
      : h('p', {}, t('record.fix')));
    const focusTarget = first?.tagName === 'FIELDSET' ? first.querySelector('input, select, textarea') : first;
    (focusTarget ?? this.formError).focus();
  }

  slotFor(pointer) {
    const segments = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    for (let n = segments.length; n > 0; n--) {
      const slot = this.slots.get(segments.slice(0, n).join('/'));
      if (slot) return slot;
    }
    return null;
  }
}

function amountInput() {
  // Not inputmode=numeric: the words (năm trăm tám mươi bảy triệu đồng) are typed here too.
  return h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' });
}

function dateInput() {
  // Text, not type=date: a date input follows the browser's locale (mm/dd/yyyy in English).
  return h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', 'data-i18n-attr': 'placeholder:date.placeholder' });
}

/** Shows beside a date field the day it understood, or that it understood none. */
export function echoDate(control, hint) {
  const typed = control.value.trim();
  const date = parseDate(typed);
  hint.textContent = typed === '' ? '' : date ? `= ${spellDate(date, language())}` : t('date.unreadable_hint');
}

function numericInput() {
  // Text, not type=number: a number input empties itself on input it cannot parse, and the
  // contract wants what was typed to reach the server.
  return h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'off' });
}

function option(value, key) {
  return h('option', { value, 'data-i18n': key, 'data-i18n-suffix': ` (${value})` });
}

function setPath(target, path, value) {
  const parts = path.split('.');
  const last = parts.pop();
  for (const part of parts) target = target[part] ??= {};
  target[last] = value;
}
