/**
 * kinesalite on a data folder in a process of its own, so that a test can run it with its clock
 * moved forward (test/support/clock-ahead.cjs) and put records that are a day younger than
 * those put before. Started by startKinesaliteProcess(); sends its endpoint over IPC, and closes
 * when its parent disconnects.
 */
import { fork } from "child_process";
import { startKinesalite } from "../../harness/aws/emulators";
import { CLOCK_AHEAD } from "./commands";

export interface KinesaliteProcess {
    endpoint: string;
    close(): Promise<void>;
}

export function startKinesaliteProcess(dir: string, clockOffsetMs: number): Promise<KinesaliteProcess> {
    const child = fork(__filename, [dir], {
        execArgv: ["-r", CLOCK_AHEAD, "-r", "ts-node/register/transpile-only"],
        env: { ...process.env, CLOCK_OFFSET_MS: String(clockOffsetMs) },
        stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    return new Promise((resolve, reject) => {
        child.once("exit", code => reject(new Error(`kinesalite's process exited (${code}) before it was ready`)));
        child.once("message", message => {
            child.removeAllListeners("exit");
            resolve({
                endpoint: (message as { endpoint: string }).endpoint,
                close: () =>
                    new Promise(done => {
                        child.once("exit", () => done());
                        child.disconnect();
                    }),
            });
        });
    });
}

if (require.main === module) {
    startKinesalite(process.argv[2]).then(
        kinesalite => {
            process.once("disconnect", async () => {
                await kinesalite.close();
                process.exit(0);
            });
            process.send!({ endpoint: kinesalite.endpoint });
        },
        error => {
            console.error(error);
            process.exit(1);
        },
    );
}
