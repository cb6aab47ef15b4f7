// "Last change" labels, in the server's local time (TZ). Lists format a thousand dates per
// page, so days and clock times are worked out from local milliseconds, without a Date per
// step.

const DAY_MS = 86_400_000;

/** Milliseconds since the epoch as the local wall clock shows them. */
function localMs(date: Date): number {
  return date.getTime() - date.getTimezoneOffset() * 60_000;
}

/** "Today at HH:MM", "Yesterday at HH:MM", "N days ago" (2–7), else YYYY-MM-DD; local time. */
export function formatLastChange(date: Date, now: Date = new Date()): string {
  return lastChangeFormatter(now)(date);
}

/** formatLastChange against one `now` for a whole list: today is worked out once. */
export function lastChangeFormatter(now: Date = new Date()): (date: Date) => string {
  const today = Math.floor(localMs(now) / DAY_MS);
  return (date) => {
    const local = localMs(date);
    const days = today - Math.floor(local / DAY_MS);
    if (days <= 0) return `Today at ${clock(local)}`;
    if (days === 1) return `Yesterday at ${clock(local)}`;
    if (days <= 7) return `${days} days ago`;
    const day = new Date(local);
    return `${day.getUTCFullYear()}-${pad2(day.getUTCMonth() + 1)}-${pad2(day.getUTCDate())}`;
  };
}

function clock(local: number): string {
  const minutes = Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / 60_000);
  return `${pad2(Math.floor(minutes / 60))}:${pad2(minutes % 60)}`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
