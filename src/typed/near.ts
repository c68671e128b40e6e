/**
 * Typos in keys that are open to the application (a `topics:` key of the application's own events
 * is valid, so a misspelt Go Coffee key would be too): a written key one edit away from a known key
 * (a letter missing, extra, changed, or two swapped), and not itself known, is taken for a typo of
 * it. One edit only: `beverage_rated` is two from `beverage_created` and may well be an event of its own.
 */

/** Whether a and b are at most one edit apart (insert, delete, substitute, or swap of neighbours). */
export function oneEditApart(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    // one substitution, or one swap of neighbours
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  // one letter extra in the longer one
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** The known key a written one is a typo of (compared case-insensitively, `_` ignored), if any. */
export function typoOf(written: string, known: readonly string[]): string | undefined {
  const norm = (k: string) => k.replace(/_/g, '').toLowerCase();
  const w = norm(written);
  if (known.some((k) => norm(k) === w)) return undefined;
  return known.find((k) => oneEditApart(w, norm(k)));
}
