/**
 * Shrinking a failing schedule: its tapes of choices are cut and their values lowered for as
 * long as the schedule still fails the same way. A shorter tape makes fewer decisions (a tape
 * read past its end gives 0, the plain case), a lower value a plainer one: fewer records, no
 * fault, no crash. Each stream of choices shrinks on its own (see choices.ts).
 */
import { CHOICE_STREAMS, ChoiceStream, Tapes } from "./choices";

/** A tape without the zeros at its end (reading past the end gives 0). */
export function trimmed(tape: readonly number[]): number[] {
    let end = tape.length;
    while (end > 0 && tape[end - 1] === 0) end--;
    return tape.slice(0, end);
}

function trimmedAll(tapes: Tapes): Tapes {
    return Object.fromEntries(CHOICE_STREAMS.map(name => [name, trimmed(tapes[name])])) as Tapes;
}

export function tapeSize(tapes: Tapes): number {
    return CHOICE_STREAMS.reduce((n, name) => n + tapes[name].length, 0);
}

/** Fewer choices first, then lower values first. */
function smaller(a: Tapes, b: Tapes): boolean {
    const x = CHOICE_STREAMS.flatMap(name => a[name]);
    const y = CHOICE_STREAMS.flatMap(name => b[name]);
    if (x.length !== y.length) return x.length < y.length;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i];
    return false;
}

export interface ShrinkBudget {
    /** Schedules to run at most. */
    runs: number;
    /** performance.now() after which no schedule is started. */
    until: number;
}

/**
 * The smallest tapes found that still fail. `fails` runs candidate tapes and returns the tapes
 * the run used when it failed the same way, undefined otherwise.
 */
export async function shrink(
    tapes: Tapes,
    fails: (candidate: Tapes) => Promise<Tapes | undefined>,
    budget: ShrinkBudget,
): Promise<{ tapes: Tapes; runs: number }> {
    let best = trimmedAll(tapes);
    let runs = 0;
    const exhausted = () => runs >= budget.runs || performance.now() >= budget.until;
    const attempt = async (name: ChoiceStream, tape: number[]): Promise<boolean> => {
        if (exhausted()) return false;
        runs++;
        const used = await fails({ ...best, [name]: tape });
        if (used === undefined) return false;
        const next = trimmedAll(used);
        if (!smaller(next, best)) return false;
        best = next;
        return true;
    };
    for (let improved = true; improved && !exhausted();) {
        improved = false;
        for (const name of CHOICE_STREAMS) {
            for (const size of [32, 16, 8, 4, 2, 1]) {
                for (let at = 0; at + size <= best[name].length && !exhausted();) {
                    const tape = best[name];
                    if (await attempt(name, [...tape.slice(0, at), ...tape.slice(at + size)])) improved = true;
                    else at += size;
                }
            }
            for (let at = 0; at < best[name].length && !exhausted(); at++) {
                const value = best[name][at];
                for (const lower of [0, value >> 1, value - 1]) {
                    if (lower < 0 || lower >= value) continue;
                    const tape = best[name];
                    if (await attempt(name, [...tape.slice(0, at), lower, ...tape.slice(at + 1)])) {
                        improved = true;
                        break;
                    }
                }
            }
        }
    }
    return { tapes: best, runs };
}
