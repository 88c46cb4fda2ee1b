/**
 * The stand-in for module 1's ticks: random-walk prices per symbol, exact decimals written as JSON
 * numbers, ISO 8601 timestamps with microseconds, and a share of malformed records of the kinds
 * the processing contract rejects. Deterministic for a given seed.
 */
import { randomInt } from "crypto";
import { validateSymbol } from "../../pipeline/runtime/tick";

export const MALFORMED_KINDS = [
    "not-json",
    "missing-price",
    "negative-price",
    "impossible-date",
    "unsafe-symbol",
] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];
/** What makes a produced record one the pipeline rejects: a synthetic kind, or a CSV row that is no tick. */
export type RecordFault = MalformedKind | "bad-csv-row";

export interface SymbolSpec {
    symbol: string;
    /** The first price, as decimal text with `decimals` digits after the point. */
    start: string;
    /** 2 to 4: the symbol's tick size is 10^-decimals. */
    decimals: number;
}

/** One record ready to put, and what the producer expects the processor to make of it. */
export interface GeneratedTick {
    data: Buffer;
    partitionKey: string;
    /** Epoch milliseconds when it was made: the start of its end-to-end latency. */
    producedAt: number;
    /** Set for a valid tick: its key and exact price. */
    tick?: { symbol: string; timestamp: string; price: string };
    /** Set for a malformed record. */
    malformed?: RecordFault;
}

/** Equities with cents, an index, crypto, and currency pairs quoted to 3 and 4 decimals. */
export const DEFAULT_SYMBOLS: SymbolSpec[] = [
    { symbol: "AAPL", start: "189.12", decimals: 2 },
    { symbol: "MSFT", start: "415.50", decimals: 2 },
    { symbol: "AMZN", start: "185.40", decimals: 2 },
    { symbol: "BRK.B", start: "410.30", decimals: 2 },
    { symbol: "^GSPC", start: "5300.25", decimals: 2 },
    { symbol: "BTC-USD", start: "67000.50", decimals: 2 },
    { symbol: "EURUSD=X", start: "1.0850", decimals: 4 },
    { symbol: "USDJPY=X", start: "157.125", decimals: 3 },
];

/** A seed for a run that was given none (printed, so that the run can be repeated). */
export const newSeed = (): number => randomInt(0, 2 ** 32);

/** mulberry32: a small seeded generator, so a run can be repeated exactly. */
export function seededRandom(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/**
 * `--symbols`: a count (the first N defaults, then made-up tickers) or a comma list (known ones
 * keep their price, others start between 10 and 500 with 2 decimals). Refuses symbols the contract
 * rejects, which would otherwise count as lost.
 */
export function resolveSymbols(value: string): SymbolSpec[] {
    const trimmed = value.trim();
    if (/^\d+$/.test(trimmed)) {
        const count = Number(trimmed);
        if (count < 1) throw new Error("--symbols: at least one symbol");
        return Array.from({ length: count }, (_, i) => DEFAULT_SYMBOLS[i] ?? madeUp(`T${String(i).padStart(3, "0")}`));
    }
    const names = [
        ...new Set(
            trimmed
                .split(",")
                .map(name => name.trim())
                .filter(Boolean),
        ),
    ];
    if (names.length === 0) throw new Error("--symbols: expected a count or a comma-separated list");
    return names.map(name => {
        const checked = validateSymbol(name);
        if (!checked.ok) throw new Error(`--symbols: ${checked.reason}`);
        return DEFAULT_SYMBOLS.find(spec => spec.symbol === name) ?? madeUp(name);
    });
}

function madeUp(symbol: string): SymbolSpec {
    let hash = 7;
    for (const char of symbol) hash = (hash * 31 + char.charCodeAt(0)) % 49_000;
    return { symbol, start: `${10 + Math.floor(hash / 100)}.${String(hash % 100).padStart(2, "0")}`, decimals: 2 };
}

/** "189.12" with 2 decimals → 18912 (ticks of 0.01); exact, as prices stay far below 2^53 ticks. */
function toUnits(text: string, decimals: number): number {
    const [whole, fraction = ""] = text.split(".");
    return Number(whole + fraction.padEnd(decimals, "0").slice(0, decimals));
}

function fromUnits(units: number, decimals: number): string {
    const digits = String(units).padStart(decimals + 1, "0");
    return `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

/** Microseconds since the epoch → 2026-11-28T14:30:00.123456 (UTC, written as module 1 writes it). */
export function isoMicros(micros: number): string {
    const seconds = new Date(Math.floor(micros / 1000)).toISOString().slice(0, 19);
    return `${seconds}.${String(micros % 1_000_000).padStart(6, "0")}`;
}

interface SymbolState {
    spec: SymbolSpec;
    units: number;
    lastMicros: number;
}

export class TickGenerator {
    private readonly states: SymbolState[];
    private made = 0;
    private malformedMade = 0;

    constructor(
        symbols: SymbolSpec[],
        private readonly badRatio: number,
        private readonly random: () => number = Math.random,
    ) {
        this.states = symbols.map(spec => ({ spec, units: toUnits(spec.start, spec.decimals), lastMicros: 0 }));
    }

    /**
     * The next record. Malformed ones are spread evenly (error diffusion), so a run of n records
     * holds exactly floor(n × badRatio) of them.
     */
    next(now = Date.now()): GeneratedTick {
        this.made++;
        const state = this.states[Math.floor(this.random() * this.states.length)];
        const timestamp = isoMicros(this.nextMicros(state, now));
        if (Math.floor(this.made * this.badRatio) > this.malformedMade) {
            this.malformedMade++;
            return this.malformed(state, timestamp, now);
        }
        const price = this.walk(state);
        const data = `{"symbol":${JSON.stringify(state.spec.symbol)},"price":${price},"timestamp":${JSON.stringify(timestamp)}}`;
        return {
            data: Buffer.from(data),
            partitionKey: state.spec.symbol,
            producedAt: now,
            tick: { symbol: state.spec.symbol, timestamp, price },
        };
    }

    /** Strictly increasing per symbol, so no two valid ticks share a key (symbol, timestamp). */
    private nextMicros(state: SymbolState, now: number): number {
        state.lastMicros = Math.max(now * 1000 + Math.floor(this.random() * 1000), state.lastMicros + 1);
        return state.lastMicros;
    }

    /** A step of up to ±0.1% (at least one tick), never below one tick. */
    private walk(state: SymbolState): string {
        const reach = Math.max(1, Math.round(state.units * 0.001));
        const step = Math.round((this.random() * 2 - 1) * reach);
        state.units = Math.max(1, state.units + step);
        return fromUnits(state.units, state.spec.decimals);
    }

    private malformed(state: SymbolState, timestamp: string, now: number): GeneratedTick {
        const kind = MALFORMED_KINDS[Math.floor(this.random() * MALFORMED_KINDS.length)];
        const symbol = JSON.stringify(state.spec.symbol);
        const price = fromUnits(state.units, state.spec.decimals);
        const bodies: Record<MalformedKind, string> = {
            "not-json": `{"symbol":${symbol},"price":${price},"timestamp":"${timestamp.slice(0, 10)}`,
            "missing-price": `{"symbol":${symbol},"timestamp":${JSON.stringify(timestamp)}}`,
            "negative-price": `{"symbol":${symbol},"price":-${price},"timestamp":${JSON.stringify(timestamp)}}`,
            "impossible-date": `{"symbol":${symbol},"price":${price},"timestamp":"2026-02-30${timestamp.slice(10)}"}`,
            "unsafe-symbol": `{"symbol":"../${state.spec.symbol}","price":${price},"timestamp":${JSON.stringify(timestamp)}}`,
        };
        return { data: Buffer.from(bodies[kind]), partitionKey: state.spec.symbol, producedAt: now, malformed: kind };
    }
}
