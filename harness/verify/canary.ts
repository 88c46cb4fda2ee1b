/**
 * Canary ticks for `npm run verify`: valid under the processing contract, under a symbol reserved
 * for them (`ZZCANARY-<run id>`: letters, digits and `-`, at most 32 characters), so that they are
 * easy to find, to tell from real ticks, and to delete.
 */
import { randomBytes } from "crypto";
import { decodeTick, StoredTick } from "../../pipeline/runtime/tick";
import { CANARY_SYMBOL_PREFIX } from "../../pipeline/schema";

export interface Canary {
    /** 1-based, for the report. */
    index: number;
    /** The record's bytes, as put on the stream. */
    data: Buffer;
    /** What the processor must store for it. */
    tick: StoredTick;
}

/** A run id: the time in base 36 and a random suffix, upper case ("MF3K2X1A-9Q4Z"). */
export function newRunId(now = Date.now()): string {
    return `${now.toString(36)}-${randomBytes(3).toString("hex")}`.toUpperCase();
}

/** `ZZCANARY-<run id>`; refuses a run id that would make an invalid or over-long symbol. */
export function canarySymbol(runId: string): string {
    const symbol = `${CANARY_SYMBOL_PREFIX}${runId}`;
    if (!/^[A-Za-z0-9._\-^=]{1,32}$/.test(symbol))
        throw new Error(`run id "${runId}": the canary symbol ${symbol} must be at most 32 letters, digits, . - _ ^ =`);
    return symbol;
}

/** ISO 8601 with microseconds, UTC: "2026-11-28T14:30:00.123000Z". */
function timestampOf(ms: number): string {
    return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/**
 * `count` ticks, a millisecond apart, with prices 1.0001, 1.0002… (exact decimals the processor
 * must keep), each checked against the contract's own validation before it is sent.
 */
export function makeCanaries(runId: string, count: number, now = Date.now()): Canary[] {
    const symbol = canarySymbol(runId);
    return Array.from({ length: count }, (_, i) => {
        const price = `1.${String(i + 1).padStart(4, "0")}`;
        const timestamp = timestampOf(now + i);
        const data = Buffer.from(`{"symbol":"${symbol}","price":${price},"timestamp":"${timestamp}","canary":true}`);
        const decoded = decodeTick(data);
        if (!decoded.valid) throw new Error(`canary tick rejected by the contract: ${decoded.reason}`);
        return { index: i + 1, data, tick: decoded.tick };
    });
}
