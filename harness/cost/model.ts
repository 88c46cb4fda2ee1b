/**
 * What the cost model takes from how AWS runs the function: the CPU Lambda gives a memory size,
 * the duration a batch takes there, and what one shard asks of its consumer. The bench's cost per
 * million ticks and `npm run plan --rate`'s bill both compute with these. Pure.
 */

/** Lambda gives CPU in proportion to memory: 1,769 MB is one full vCPU (a single-threaded handler gets no more above it). */
export const FULL_VCPU_MB = 1769;
/** One shard's write limit, in records per second: what a consumer must keep up with. */
export const SHARD_RECORDS_PER_SECOND = 1000;

/**
 * A batch's duration in Lambda at `memoryMb`, from its wall time and CPU on one full core: below
 * 1,769 MB the function gets that share of a vCPU, so its CPU work takes 1769/memory times longer;
 * the time spent waiting for S3 and DynamoDB does not change. A core of the machine that measured
 * counts as Lambda's one vCPU. Not rounded: Lambda bills whole ms, the caller rounds up.
 */
export function lambdaDurationMs(measured: { wallMs: number; cpuMs: number }, memoryMb: number): number {
    const slowdown = Math.max(1, FULL_VCPU_MB / memoryMb);
    return measured.wallMs + measured.cpuMs * (slowdown - 1);
}
