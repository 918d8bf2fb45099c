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
