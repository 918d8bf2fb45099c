// Dates the Vietnamese way, whatever the browser's locale. A `type=date` input follows the
// browser's locale (mm/dd/yyyy in an English one), so a clerk typing 05/06/2015 for 5 June
// stored 6 May: every date field of the page is a text field read here instead.
//
// Typed: `dd/mm/yyyy` (also with `-` or `.` between, and one-digit day or month) or ISO
// `yyyy-mm-dd`, in either language. Shown: `dd/mm/yyyy` on the Vietnamese page, ISO
// `yyyy-mm-dd` on the English one — one convention per language — and spelled out
// ("ngày 5 tháng 6 năm 2015" / "5 June 2015") beside a field before anything is sent.
// No DOM; unit-tested in node (web/tests/dates.test.mjs).

const MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
  'September', 'October', 'November', 'December'];

const pad = (n, width = 2) => String(n).padStart(width, '0');

/** `[year, month, day]` if they name a day of the proleptic Gregorian calendar. */
function civil(year, month, day) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return null;
  const days = new Date(Date.UTC(2000, month, 0)).getUTCDate(); // 2000 is a leap year
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (day > (month === 2 && !leap ? 28 : days)) return null;
  return [year, month, day];
}

const iso = ([year, month, day]) => `${pad(year, 4)}-${pad(month)}-${pad(day)}`;

/** The parts of a typed date, or null: `dd/mm/yyyy` (`/`, `-` or `.`) or `yyyy-mm-dd`. */
function dateParts(text) {
  const value = text.trim();
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(value);
  if (match) return civil(Number(match[1]), Number(match[2]), Number(match[3]));
  match = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$/.exec(value);
  if (match) return civil(Number(match[4]), Number(match[3]), Number(match[1]));
  return null;
}

/** A typed date → `yyyy-mm-dd`, or null when it cannot be read (or is no such day). */
export function parseDate(text) {
  const parts = dateParts(text ?? '');
  return parts ? iso(parts) : null;
}

/** `yyyy-mm-dd` → the page's convention: `05/06/2015` (vi) or `2015-06-05` (en). */
export function showDate(value, lang) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value ?? '');
  if (!match) return value ?? '';
  return lang === 'en' ? value : `${match[3]}/${match[2]}/${match[1]}`;
}

/** `yyyy-mm-dd` → "ngày 5 tháng 6 năm 2015" (vi) or "5 June 2015" (en). */
export function spellDate(value, lang) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value ?? '');
  if (!match) return '';
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return lang === 'en' ? `${day} ${MONTHS_EN[month - 1]} ${year}` : `ngày ${day} tháng ${month} năm ${year}`;
}

// ----- Date and time (known_at), in the viewer's time zone ---------------------------------

/** The viewer's time zone, named (e.g. `Asia/Ho_Chi_Minh`). */
export function timeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

/**
 * A typed date and time in the viewer's zone → an RFC 3339 instant in UTC with milliseconds,
 * or null. Accepts `dd/mm/yyyy hh:mm[:ss]` and `yyyy-mm-dd[T| ]hh:mm[:ss]`, a date alone
 * (its midnight), or a whole RFC 3339 instant with `Z` or an offset (as the URL carries it).
 */
export function parseDateTime(text) {
  const value = (text ?? '').trim();
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value)) {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) || !dateParts(value.slice(0, 10)) ? null : date.toISOString();
  }
  const match = /^(\S+?)(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/i.exec(value);
  if (!match) return null;
  const parts = dateParts(match[1]);
  if (!parts) return null;
  const [hours, minutes, seconds] = [match[2] ?? 0, match[3] ?? 0, match[4] ?? 0].map(Number);
  if (hours > 23 || minutes > 59 || seconds > 59) return null;
  const [year, month, day] = parts;
  const date = new Date(year, month - 1, day, hours, minutes, seconds);
  date.setFullYear(year); // years below 100 are not 19xx
  return date.toISOString();
}

/** The local date and time of an instant, `[yyyy-mm-dd, hh:mm:ss]`, or null. */
function localParts(instant) {
  const date = new Date(instant ?? '');
  if (Number.isNaN(date.getTime())) return null;
  return [iso([date.getFullYear(), date.getMonth() + 1, date.getDate()]),
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`];
}

/** An instant → `28/11/2026 20:15:00` (vi) or `2026-11-28 20:15:00` (en), local time. */
export function showDateTime(instant, lang) {
  const parts = localParts(instant);
  return parts ? `${showDate(parts[0], lang)} ${parts[1]}` : (instant ?? '');
}

/** An instant → "ngày 28 tháng 11 năm 2026, 20:15:00 (giờ Asia/Ho_Chi_Minh)" / "28 November 2026, 20:15:00 (Asia/Ho_Chi_Minh time)". */
export function spellDateTime(instant, lang) {
  const parts = localParts(instant);
  if (!parts) return '';
  const zone = lang === 'en' ? `${timeZone()} time` : `giờ ${timeZone()}`;
  return `${spellDate(parts[0], lang)}, ${parts[1]} (${zone})`;
}

/** Today's civil date in the viewer's time zone, `yyyy-mm-dd`. */
export function todayIso() {
  return localParts(new Date().toISOString())[0];
}
