/**
 * The bench's correctness run: each contender, in its own process as it is timed, writes a few
 * batches to dynalite and s3rver, and what they hold is read back. The processor's output is
 * reconciled record by record in either layout (each item with its exact price, each record's
 * raw/ and processed/ copy: harness/local-stack/summary.ts); the original's keys come from the clock, so its
 * items are checked one by one and its objects counted.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import type { ObjectLayout } from "../../pipeline/schema";
import { startDynalite, startS3rver } from "../aws/emulators";
import { lambdaEnvironment } from "../lambda/environment";
import { createRecordBucket, createTickTable, dynamoClient, listKeys, s3Client, scanTicks } from "../aws/resources";
import type { PutRecord } from "../local-stack/producer";
import { compareDecimals, EMPTY_STORE, readStore, reconcile } from "../local-stack/summary";
import { startContender } from "./contender-process";
import { benchBatch } from "./events";

export interface CheckedContender {
    name: string;
    kind: "original" | "processor";
    objectLayout?: ObjectLayout;
}

export interface CheckResult {
    name: string;
    /** What was verified, in one line. */
    verified: string;
    problems: string[];
}

/** Runs `batches` batches of every contender against fresh emulators and checks what each stored. */
export async function checkOnEmulators(
    contenders: CheckedContender[],
    options: { seed: number; batchSize: number; batches: number },
    progress: (line: string) => void,
): Promise<CheckResult[]> {
    const [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
    const admin = { dynamo: dynamoClient(dynamo.endpoint), s3: s3Client(s3.endpoint) };
    try {
        const results: CheckResult[] = [];
        for (const [i, contender] of contenders.entries()) {
            const name = `bench-${i}-${contender.kind}`;
            await createTickTable(admin.dynamo, name);
            await createRecordBucket(admin.s3, name);
            const contenderProcess = await startContender({
                kind: contender.kind,
                seed: options.seed,
                batchSize: options.batchSize,
                environment: lambdaEnvironment({
                    endpoints: { dynamodb: dynamo.endpoint, s3: s3.endpoint },
                    tableName: name,
                    bucketName: name,
                    objectLayout: contender.objectLayout,
                }),
            });
            const problems: string[] = [];
            const sent: PutRecord[] = [];
            try {
                for (let index = 0; index < options.batches; index++) {
                    const { problem } = await contenderProcess.run(index);
                    if (problem) problems.push(`batch ${index + 1}: ${problem}`);
                    sent.push(...benchBatch(options.seed, index, options.batchSize).records);
                }
            } finally {
                await contenderProcess.stop();
            }
            const verify = contender.kind === "original" ? verifyOriginal : verifyProcessor;
            const { verified, problems: found } = await verify(admin.dynamo, admin.s3, name, sent);
            results.push({ name: contender.name, verified, problems: [...problems, ...found] });
            progress(`  ${contender.name}: ${found.length || problems.length ? "FAILED" : verified}`);
        }
        return results;
    } finally {
        admin.dynamo.destroy();
        admin.s3.destroy();
        await Promise.all([dynamo.close(), s3.close()]);
    }
}

type Verification = { verified: string; problems: string[] };

async function verifyProcessor(
    dynamo: DynamoDBClient,
    s3: S3Client,
    name: string,
    sent: PutRecord[],
): Promise<Verification> {
    const contents = await readStore(dynamo, s3, name, name);
    const reconciliation = reconcile(sent, contents, EMPTY_STORE);
    const problems = [...reconciliation.problems];
    if (reconciliation.stored !== sent.length)
        problems.push(`${reconciliation.stored} of ${sent.length} ticks stored, ${reconciliation.lost} lost`);
    const { raw, processed, rejected } = contents.copies;
    return {
        verified:
            `${reconciliation.stored} of ${sent.length} ticks reconciled one by one: the item with its exact price, ` +
            `the raw/ and processed/ copies (${raw.objects} + ${processed.objects} objects, ${rejected.objects} rejected/)`,
        problems,
    };
}

/** The original keys its objects by the clock: every item is checked, the objects are counted. */
async function verifyOriginal(
    dynamo: DynamoDBClient,
    s3: S3Client,
    name: string,
    sent: PutRecord[],
): Promise<Verification> {
    const problems: string[] = [];
    const stored = new Map((await scanTicks(dynamo, name)).map(tick => [`${tick.symbol} ${tick.timestamp}`, tick]));
    const exact = sent.filter(({ tick }) => {
        const item = stored.get(`${tick!.symbol} ${tick!.timestamp}`);
        return item !== undefined && compareDecimals(item.price, tick!.price) === 0;
    });
    if (exact.length !== sent.length || stored.size !== sent.length)
        problems.push(`${exact.length} of ${sent.length} items with their exact price, ${stored.size} items in all`);
    const counts: Record<string, number> = {};
    for (const prefix of ["raw/", "processed/", "rejected/"])
        counts[prefix] = (await listKeys(s3, name, prefix)).length;
    if (counts["raw/"] !== sent.length || counts["processed/"] !== sent.length || counts["rejected/"] !== 0)
        problems.push(
            `${counts["raw/"]} raw/, ${counts["processed/"]} processed/ and ${counts["rejected/"]} rejected/ objects, expected ${sent.length}, ${sent.length} and 0`,
        );
    return {
        verified: `${exact.length} of ${sent.length} items with their exact price, ${counts["raw/"]} raw/ and ${counts["processed/"]} processed/ objects`,
        problems,
    };
}
