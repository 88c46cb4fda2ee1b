/**
 * What happened to every tick the producer put, by the sequence number of its Kinesis record:
 * acknowledged by the function (the mapping checkpointed past it), given up to the failure
 * destination, or still in flight. A KPL aggregate's ticks share their record's fate. Drives the
 * live progress, the end of the run and the latency figures; the final counts come from what
 * DynamoDB and S3 hold (summary.ts), not from here.
 */
import type { PutRecord } from "./producer";

type Fate = { acknowledgedAt: number } | { gaveUp: true };

/** `<sequenceNumber>`, or `<sequenceNumber>-<subSequenceNumber>` for a tick of an aggregate. */
export function putRecordId(record: Pick<PutRecord, "sequenceNumber" | "subSequenceNumber">): string {
    return record.subSequenceNumber === undefined
        ? record.sequenceNumber
        : `${record.sequenceNumber}-${record.subSequenceNumber}`;
}

export class Ledger {
    private readonly records = new Map<string, PutRecord>();
    /** The ticks of each Kinesis record (several for an aggregate). */
    private readonly bySequenceNumber = new Map<string, PutRecord[]>();
    /** Fates can arrive before the producer hears back from PutRecords: kept until then. */
    private readonly fates = new Map<string, Fate>();
    private readonly latenciesMs: number[] = [];
    produced = 0;
    acknowledgedValid = 0;
    acknowledgedMalformed = 0;
    gaveUp = 0;

    register(records: PutRecord[]): void {
        for (const record of records) {
            const id = putRecordId(record);
            if (this.records.has(id)) continue;
            this.records.set(id, record);
            const siblings = this.bySequenceNumber.get(record.sequenceNumber) ?? [];
            siblings.push(record);
            this.bySequenceNumber.set(record.sequenceNumber, siblings);
            this.produced++;
            const fate = this.fates.get(record.sequenceNumber);
            if (fate) this.count(record, fate);
        }
    }

    acknowledge(sequenceNumbers: string[], at = Date.now()): void {
        for (const sequenceNumber of sequenceNumbers) this.settle(sequenceNumber, { acknowledgedAt: at });
    }

    giveUp(sequenceNumbers: string[]): void {
        for (const sequenceNumber of sequenceNumbers) this.settle(sequenceNumber, { gaveUp: true });
    }

    get inFlight(): number {
        return this.produced - this.acknowledgedValid - this.acknowledgedMalformed - this.gaveUp;
    }

    /** Every tick this run produced (not those of earlier runs in a kept data folder). */
    entries(): PutRecord[] {
        return [...this.records.values()];
    }

    isGivenUp(sequenceNumber: string): boolean {
        return "gaveUp" in (this.fates.get(sequenceNumber) ?? {});
    }

    /** The latencies recorded from index `start` on, in the order they were recorded. */
    latenciesFrom(start: number): number[] {
        return this.latenciesMs.slice(start);
    }

    /** Milliseconds from each record's production to the response for the batch that completed it. */
    latencies(): number[] {
        return [...this.latenciesMs];
    }

    private settle(sequenceNumber: string, fate: Fate): void {
        if (this.fates.has(sequenceNumber)) return; // a redelivery after the record was done
        this.fates.set(sequenceNumber, fate);
        for (const record of this.bySequenceNumber.get(sequenceNumber) ?? []) this.count(record, fate);
    }

    private count(record: PutRecord, fate: Fate): void {
        if ("gaveUp" in fate) {
            this.gaveUp++;
            return;
        }
        if (record.malformed) this.acknowledgedMalformed++;
        else this.acknowledgedValid++;
        this.latenciesMs.push(Math.max(0, fate.acknowledgedAt - record.producedAt));
    }
}
