/**
 * Live progress while the pipeline runs: on a terminal one line redrawn every second, otherwise
 * (CI logs, pipes) a plain line every few seconds.
 */

export interface ProgressSnapshot {
    produced: number;
    stored: number;
    rejected: number;
    inFlight: number;
    failedToDestination: number;
    iteratorAgeMs: number;
}

/** Where progress goes: a terminal or not. process.stderr fits. */
export interface ProgressOutput {
    isTTY?: boolean;
    write(text: string): unknown;
}

function formatProgress(elapsedMs: number, p: ProgressSnapshot): string {
    const failed = p.failedToDestination > 0 ? `, failed to destination ${p.failedToDestination}` : "";
    return (
        `[${(elapsedMs / 1000).toFixed(0).padStart(3)} s] produced ${p.produced}, stored ${p.stored}, rejected ${p.rejected}, ` +
        `in flight ${p.inFlight}${failed}, iterator age ${p.iteratorAgeMs} ms`
    );
}

/** Starts reporting; the returned function stops it and prints the final state once more. */
export function startProgress(output: ProgressOutput, read: () => ProgressSnapshot, plainEveryMs = 5000): () => void {
    const started = Date.now();
    const tty = output.isTTY === true;
    const draw = () => {
        const line = formatProgress(Date.now() - started, read());
        output.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
    };
    const timer = setInterval(draw, tty ? 1000 : plainEveryMs);
    return () => {
        clearInterval(timer);
        draw();
        if (tty) output.write("\n");
    };
}
