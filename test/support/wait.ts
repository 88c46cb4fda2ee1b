/** Waiting for something to happen, by polling: no fixed sleep that a slow machine outlasts. */
import { setTimeout as sleep } from "timers/promises";

/** Resolves once `condition` holds, checking every `everyMs`; rejects after `timeoutMs`. */
export async function waitUntil(
    condition: () => boolean,
    what: string,
    timeoutMs = 10_000,
    everyMs = 10,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
        if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
        await sleep(everyMs);
    }
}

/** Whether a process with this pid still exists (reaped: gone). */
export function processExists(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM";
    }
}
