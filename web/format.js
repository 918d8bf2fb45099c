// Display formats. Money is integer đồng (CONTRACT §1): it is formatted from its decimal
// digits, never through floating-point arithmetic or a locale-dependent library call.

/**
 * `1276000000` → `1.276.000.000` (dots group thousands, as written in Vietnam). Takes a
 * Number holding an integer or a BigInt (for sums that may pass 2^53).
 */
export function formatInt(value) {
  const integral = typeof value === 'bigint' || Number.isInteger(value);
  if (!integral) return String(value ?? '—');
  const text = String(value);
  const negative = text.startsWith('-');
  const grouped = (negative ? text.slice(1) : text).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return negative ? `-${grouped}` : grouped;
}

/** `1276000000` → `1.276.000.000 ₫`. */
export function formatMoney(value) {
  return value === null || value === undefined ? '—' : `${formatInt(value)} ₫`;
}

/** A `datetime-local` value (the browser's local time) → RFC 3339 instant in UTC, or null. */
export function localInputToInstant(value) {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** An RFC 3339 instant → a `datetime-local` value in the browser's local time ('' if unreadable). */
export function instantToLocalInput(instant) {
  const date = new Date(instant ?? '');
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Today's civil date in the browser's time zone, `YYYY-MM-DD`. */
export function today() {
  return instantToLocalInput(new Date().toISOString()).slice(0, 10);
}
