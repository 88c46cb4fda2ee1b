/** "Did you mean …?" for misspelt keys: the closest known name, if one is close enough. */

/**
 * Optimal string alignment distance (Levenshtein plus swapped neighbours), case-insensitive:
 * small enough to keep here rather than ship a dependency with the program.
 */
export function editDistance(a: string, b: string): number {
    const [s, t] = [a.toLowerCase(), b.toLowerCase()];
    const d = Array.from({ length: s.length + 1 }, (_, i) => [i, ...Array<number>(t.length).fill(0)]);
    for (let j = 1; j <= t.length; j++) d[0][j] = j;
    for (let i = 1; i <= s.length; i++) {
        for (let j = 1; j <= t.length; j++) {
            const cost = s[i - 1] === t[j - 1] ? 0 : 1;
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
                d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[s.length][t.length];
}

/** The known name a misspelt one most likely meant: within 2 edits, or a quarter of its length. */
export function closestName(name: string, known: readonly string[]): string | undefined {
    const ranked = known.map(candidate => ({ candidate, distance: editDistance(name, candidate) }));
    ranked.sort((a, b) => a.distance - b.distance);
    const best = ranked[0];
    return best && best.distance <= Math.max(2, Math.floor(name.length / 4)) ? best.candidate : undefined;
}
