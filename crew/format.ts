/** Small text helpers shared by the crew's read commands. */

/** `45s`, `12m 30s`, `2h 05m`. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h ${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

/** ISO 8601 without milliseconds: `2026-11-01T10:15:00Z`. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An ISO string from AWS or an item, shortened the same way; kept as it is when it is not a time. */
export function formatTime(value: string | null | undefined): string {
  if (value === null || value === undefined) return '?';
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? value : isoSeconds(parsed);
}

/**
 * Long opaque runs (task tokens are several hundred base64 characters) are cut out of any text that came from AWS
 * before it is shown: a cause or a reason should never carry one, and if it ever does, it is not printed.
 */
export function scrubOpaque(text: string): string {
  return text.replace(/[A-Za-z0-9+/=_-]{100,}/g, '[redacted]');
}

/** One line of at most `max` characters. */
export function oneLine(text: string, max = 160): string {
  const flat = scrubOpaque(text).replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function columns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
