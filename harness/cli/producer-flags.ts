/** Command-line flags shared by `npm run local` and `npm run produce`, parsed and checked. */
import type { ParseArgsConfig } from "util";
import { numberFlag, UsageError } from "./cli";
import { newSeed, resolveSymbols, SymbolSpec } from "../local-stack/ticks";

export interface ProducerFlags {
    rate: number;
    duration: number;
    symbols: SymbolSpec[];
    shards: number;
    badRatio: number;
    /** Always set by producerFlags (a new one when --seed is not given); optional for library callers. */
    seed?: number;
    /** User records per Kinesis record (KPL aggregates); plain records when absent. */
    aggregate?: number;
}

export const PRODUCER_OPTIONS: NonNullable<ParseArgsConfig["options"]> = {
    rate: { type: "string", default: "100" },
    duration: { type: "string", default: "10" },
    symbols: { type: "string", default: "8" },
    shards: { type: "string", default: "2" },
    "bad-ratio": { type: "string", default: "0.01" },
    seed: { type: "string" },
    aggregate: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
};

export const PRODUCER_HELP = `
  --rate N           records per second (default 100)
  --duration S       seconds of producing (default 10); rate × duration records in all
  --symbols LIST|N   comma-separated tickers (AAPL,BRK.B,^GSPC) or how many of the built-in
                     ones to use (default 8: AAPL MSFT AMZN BRK.B ^GSPC BTC-USD EURUSD=X USDJPY=X;
                     more are made up). Prices random-walk with 2 to 4 decimals.
  --bad-ratio R      share of malformed records, 0 to 1 (default 0.01): not JSON, missing price,
                     negative price, impossible date, unsafe symbol
  --seed N           the seed of the ticks: the same symbols, prices and malformed records, in
                     the same order (timestamps come from the clock); default: a new one,
                     printed at the start
  --aggregate N      send N ticks per Kinesis record, as the Kinesis Producer Library does
                     (KPL aggregates with their MD5), 1 to 1000 (default: one tick per record);
                     --rate still counts ticks
  -h, --help         this text`;

export function producerFlags(values: Record<string, unknown>): ProducerFlags {
    let symbols: SymbolSpec[];
    try {
        symbols = resolveSymbols(String(values.symbols));
    } catch (error) {
        throw new UsageError((error as Error).message);
    }
    return {
        rate: numberFlag(values, "rate", 0.1, 100_000),
        duration: numberFlag(values, "duration", 0.1, 86_400),
        symbols,
        shards: numberFlag(values, "shards", 1, 500, true),
        badRatio: numberFlag(values, "bad-ratio", 0, 1),
        seed: values.seed === undefined ? newSeed() : numberFlag(values, "seed", 0, 2 ** 32 - 1, true),
        aggregate: values.aggregate === undefined ? undefined : numberFlag(values, "aggregate", 1, 1000, true),
    };
}
