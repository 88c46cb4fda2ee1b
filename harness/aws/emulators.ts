/**
 * The AWS emulators the tests, the benchmark and `npm run local` start in-process on free
 * loopback ports: dynalite (DynamoDB), s3rver (S3) and kinesalite (Kinesis).
 */
import * as fs from "fs";
import type { AddressInfo, Server } from "net";
import * as os from "os";
import * as path from "path";
import dynalite from "dynalite";
import kinesalite from "kinesalite";
import S3rver from "s3rver";

export interface Emulator {
    /** http://127.0.0.1:PORT */
    endpoint: string;
    close(): Promise<void>;
}

/** Credentials every emulator accepts (s3rver checks signatures against these). */
export const EMULATOR_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
export const EMULATOR_REGION = "us-east-1";

function listen(server: Server): Promise<Emulator> {
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as AddressInfo;
            resolve({
                endpoint: `http://127.0.0.1:${port}`,
                close: () => new Promise(done => server.close(() => done())),
            });
        });
    });
}

/** In memory unless `dir` is given (then the data survives restarts). */
export function startDynalite(dir?: string): Promise<Emulator> {
    return listen(dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }));
}

export function startKinesalite(dir?: string): Promise<Emulator> {
    return listen(kinesalite({ path: dir, createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 }));
}

/** s3rver keeps objects on disk: in a temporary folder, removed on close, unless `dir` is given. */
export async function startS3rver(dir?: string): Promise<Emulator> {
    const directory = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "s3rver-"));
    const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory });
    const { port } = (await server.run()) as AddressInfo;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        close: async () => {
            await server.close();
            if (!dir) fs.rmSync(directory, { recursive: true, force: true });
        },
    };
}
