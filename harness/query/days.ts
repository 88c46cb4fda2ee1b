/** `--days`: which day= (and arrival_day=) prefixes to read. */

/** More days than this in one --days is surely a typo (a range across decades). */
export const MAX_DAYS = 3660;

/**
 * `2026-11-28,2026-11-30` or `2026-11-28..2026-12-02` or both mixed: the days, sorted, each once.
 * Throws an Error naming the bad part.
 */
export function parseDays(spec: string): string[] {
    const days = new Set<string>();
    for (const part of spec.split(",").map(item => item.trim())) {
        if (part === "") throw new Error(`--days: empty item in "${spec}"`);
        const range = part.split("..");
        if (range.length > 2) throw new Error(`--days: "${part}" is not a day or a range FIRST..LAST`);
        const [first, last = first] = range.map(parseDay);
        if (last < first) throw new Error(`--days: range "${part}" ends before it starts`);
        for (let day = first; day <= last; day += DAY_MS) {
            days.add(new Date(day).toISOString().slice(0, 10));
            if (days.size > MAX_DAYS) throw new Error(`--days: more than ${MAX_DAYS} days`);
        }
    }
    return [...days].sort();
}

const DAY_MS = 86_400_000;

/** YYYY-MM-DD of a real date → its UTC midnight in ms. */
function parseDay(text: string): number {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    const time = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
    if (!match || Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== text) {
        throw new Error(`--days: "${text}" is not a date YYYY-MM-DD`);
    }
    return time;
}
