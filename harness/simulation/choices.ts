/**
 * Every decision of a schedule comes from one source of choices: drawn from a seed (and recorded
 * on a tape), or read back from a tape. A tape read past its end gives 0, and every decision is
 * written so that 0 is the plain case (no fault, no crash, the smallest batch): shrinking a
 * failing schedule is shortening its tape and lowering its values (see shrink.ts).
 */

/** sfc32, seeded through splitmix32: fast, small state, good enough for schedules. */
function generator(seed: number): () => number {
    let state = seed >>> 0;
    const splitmix = () => {
        state = (state + 0x9e3779b9) >>> 0;
        let z = state;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
        return (z ^ (z >>> 16)) >>> 0;
    };
    let a = splitmix();
    let b = splitmix();
    let c = splitmix();
    let d = splitmix();
    return () => {
        const t = (((a + b) >>> 0) + d) >>> 0;
        d = (d + 1) >>> 0;
        a = b ^ (b >>> 9);
        b = (c + (c << 3)) >>> 0;
        c = (c << 21) | (c >>> 11);
        c = (c + t) >>> 0;
        return t;
    };
}

const FLIP_SCALE = 1_000_000;
const FLOAT_SCALE = 2 ** 30;

/**
 * A schedule's decisions come from separate streams, so that shrinking one (fewer records, say)
 * leaves the others' decisions where they were (the same request still gets its fault).
 */
export const CHOICE_STREAMS = ["settings", "stream", "mapping", "services", "random"] as const;
export type ChoiceStream = (typeof CHOICE_STREAMS)[number];
export type Tapes = Record<ChoiceStream, number[]>;

export type ChoiceSource = { seed: number } | { tapes: Partial<Record<ChoiceStream, readonly number[]>> };

/** One Choices per stream, from a seed or from tapes. */
export function choiceStreams(source: ChoiceSource): Record<ChoiceStream, Choices> {
    const entries = CHOICE_STREAMS.map((name, i) => {
        const choices =
            "seed" in source
                ? new Choices({ seed: (source.seed + Math.imul(i + 1, 0x9e3779b9)) >>> 0 })
                : new Choices({ tape: source.tapes[name] ?? [] });
        return [name, choices] as const;
    });
    return Object.fromEntries(entries) as Record<ChoiceStream, Choices>;
}

/** The tapes the streams recorded. */
export function tapesOf(streams: Record<ChoiceStream, Choices>): Tapes {
    return Object.fromEntries(CHOICE_STREAMS.map(name => [name, streams[name].tape])) as Tapes;
}

type SingleSource = { seed: number } | { tape: readonly number[] };

export class Choices {
    /** The choices made so far, each within its bound: replaying it makes the same schedule. */
    readonly tape: number[] = [];
    private readonly draw: (bound: number) => number;

    constructor(source: SingleSource) {
        if ("seed" in source) {
            const next = generator(source.seed);
            this.draw = bound => Math.floor((next() / 2 ** 32) * bound);
        } else {
            const given = source.tape;
            let position = 0;
            this.draw = bound => {
                const value = position < given.length ? given[position] : 0;
                position++;
                return value < bound ? value : value % bound;
            };
        }
    }

    /** An integer from 0 to bound - 1. */
    int(bound: number): number {
        if (!(bound >= 1)) throw new Error(`Choices.int: bound ${bound}`);
        const value = this.draw(bound); // for bound 1 too: a tape keeps its place
        this.tape.push(value);
        return value;
    }

    /** An integer from min to max, min being the plain case. */
    between(min: number, max: number): number {
        return min + this.int(max - min + 1);
    }

    /** True with probability p; a 0 on the tape is false. */
    flip(p: number): boolean {
        if (p <= 0) return false;
        return this.int(FLIP_SCALE) >= FLIP_SCALE * (1 - p);
    }

    /** One of the options, the first being the plain case. */
    pick<T>(options: readonly T[]): T {
        return options[this.int(options.length)];
    }

    /** One of the options by weight, the first being the plain case. */
    weighted<T>(options: readonly (readonly [T, number])[]): T {
        const total = options.reduce((sum, [, weight]) => sum + weight, 0);
        let value = this.int(Math.round(total * 1000)) / 1000;
        for (const [option, weight] of options) {
            if (value < weight) return option;
            value -= weight;
        }
        return options[options.length - 1][0];
    }

    /** A number in [0, 1), for Math.random during a schedule. */
    float(): number {
        return this.int(FLOAT_SCALE) / FLOAT_SCALE;
    }
}
