/** "Today at HH:MM", "Yesterday at HH:MM", "N days ago" (2–7), else YYYY-MM-DD; local time. */
export function formatLastChange(date: Date, now: Date = new Date()): string {
  return lastChangeFormatter(now)(date);
}

/** formatLastChange against one `now` for a whole list: today's midnight is found once. */
export function lastChangeFormatter(now: Date = new Date()): (date: Date) => string {
  const today = startOfDay(now);
  return (date) => {
    const days = Math.round((today - startOfDay(date)) / 86_400_000);
    if (days <= 0) return `Today at ${clock(date)}`;
    if (days === 1) return `Yesterday at ${clock(date)}`;
    if (days <= 7) return `${days} days ago`;
    return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
  };
}

function startOfDay(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

function clock(date: Date): string {
  return `${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
