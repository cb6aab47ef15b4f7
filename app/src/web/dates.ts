/** "Today at HH:MM", "Yesterday at HH:MM", "N days ago" (2–7), else YYYY-MM-DD; local time. */
export function formatLastChange(date: Date, now: Date = new Date()): string {
  const days = calendarDaysBetween(date, now);
  if (days <= 0) return `Today at ${clock(date)}`;
  if (days === 1) return `Yesterday at ${clock(date)}`;
  if (days <= 7) return `${days} days ago`;
  return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
}

function calendarDaysBetween(earlier: Date, later: Date): number {
  const startOfDay = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  return Math.round((startOfDay(later) - startOfDay(earlier)) / 86_400_000);
}

function clock(date: Date): string {
  return `${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
