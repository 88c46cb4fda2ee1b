/**
 * The stream the stack subscribes to, looked up before any resource is declared: a stream that is
 * not there, is another account's, or is not encrypted with the key the config names fails the
 * preview naming its ARN, instead of failing the event source mapping after the table, bucket,
 * role, queue and function were created. The mapping then reads the ARN the lookup returned.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { arnParts, DOCUMENTATION_ACCOUNT, streamNameOf } from "../arn";
import { ConfigError, ConfigProblem, formatProblem, PipelineSettings } from "./config";

/** What the stream lookup returns that the checks read (a part of aws.kinesis.GetStreamResult). */
interface FoundStream {
    arn: string;
    encryptionType: string;
    /** The key as Kinesis reports it: a key ARN, a key id, an alias name or an alias ARN; empty when not encrypted. */
    kmsKeyId: string;
    openShards: string[];
    streamModeDetails?: { streamMode: string }[];
}

/** The stream's key as DescribeKey resolves it. */
interface FoundKey {
    arn: string;
    /** "AWS" for an AWS managed key (aws/kinesis), "CUSTOMER" for a customer managed one. */
    keyManager: string;
}

/** The stream as checked: what the rest of the program builds on. */
export interface CheckedStream {
    /** The stream's ARN, as the lookup found it. */
    arn: string;
    /** Its open shards now: an on-demand stream's count changes with its load. */
    shards: number;
    onDemand: boolean;
}

const accountOf = (arn: string) => arnParts(arn).account;

/**
 * The streamArn problem when the lookup fails for an ARN copied from AWS's documentation: no
 * credentials are ever that account's, so the usual advice (check the account) would mislead.
 */
function exampleArnProblem(streamArn: string, detail: string): ConfigProblem | undefined {
    if (accountOf(streamArn) !== DOCUMENTATION_ACCOUNT) return undefined;
    return {
        key: "streamArn",
        problem:
            `the stream ${streamArn} is an example: account ${DOCUMENTATION_ACCOUNT} is the one AWS's documentation uses; ` +
            `set the ARN of your stream (${detail})`,
    };
}

/** What the lookup found wrong with the stream (an error), or worth saying (a warning). */
type Finding = ConfigProblem & { severity: "error" | "warning" };

/** The finding for the stream found for the configured ARN, if any; `key` is the stream's key resolved (when encrypted). */
function streamFinding(
    configured: Pick<PipelineSettings, "streamArn" | "streamKmsKeyArn">,
    found: FoundStream,
    key?: FoundKey,
): Finding | undefined {
    const { streamArn, streamKmsKeyArn } = configured;
    if (found.arn !== streamArn) {
        const credentials = `the stack's AWS credentials are for account ${accountOf(found.arn)}, where this name is ${found.arn}`;
        const example = exampleArnProblem(streamArn, credentials);
        if (example) return { ...example, severity: "error" };
        return {
            severity: "error",
            key: "streamArn",
            problem: `${credentials}, not ${streamArn}: deploy with credentials of account ${accountOf(streamArn)}, the stream's`,
        };
    }
    if (found.encryptionType !== "KMS") {
        if (!streamKmsKeyArn) return undefined;
        return {
            severity: "error",
            key: "streamKmsKeyArn",
            problem: `the stream ${streamArn} is not encrypted, so ${streamKmsKeyArn} is not its key: leave streamKmsKeyArn empty`,
        };
    }
    const keyArn = key?.arn ?? found.kmsKeyId;
    if (streamKmsKeyArn && keyArn !== streamKmsKeyArn) {
        return {
            severity: "error",
            key: "streamKmsKeyArn",
            problem: `the stream ${streamArn} is encrypted with ${keyArn}, not ${streamKmsKeyArn}: set the stream's key`,
        };
    }
    if (!streamKmsKeyArn && key?.keyManager !== "AWS") {
        return {
            severity: "warning",
            key: "streamKmsKeyArn",
            problem:
                `empty, but the stream ${streamArn} is encrypted with the customer managed key ${keyArn}: ` +
                `the function cannot read its records without kms:Decrypt on it (set streamKmsKeyArn to ${keyArn})`,
        };
    }
    return undefined;
}

/**
 * A concurrency cap below what the mapping runs at once (a batch per shard and parallelization
 * slot) throttles it, and the stream falls behind: a warning, or undefined when the cap is enough.
 */
export function concurrencyWarning(
    settings: Pick<PipelineSettings, "reservedConcurrency" | "parallelizationFactor">,
    stream: Pick<CheckedStream, "shards" | "onDemand">,
): ConfigProblem | undefined {
    const { reservedConcurrency: cap, parallelizationFactor } = settings;
    const needed = stream.shards * parallelizationFactor;
    if (cap === undefined || cap >= needed) return undefined;
    const shards = stream.onDemand
        ? `${stream.shards} shards now (on demand: more under load)`
        : `${stream.shards} shards`;
    return {
        key: "reservedConcurrency",
        problem:
            `${cap} is below what the event source mapping runs at once, ${needed} (${shards} × parallelizationFactor ${parallelizationFactor}): ` +
            `invocations are throttled and the stream falls behind (raise it to at least ${needed})`,
    };
}

/**
 * Looks the configured stream up (aws.kinesis.getStream: by its name, in its ARN's region, with
 * the stack's credentials, so in their account) and its key when it is encrypted, and checks them.
 * Awaited before any resource is declared. Throws a ConfigError naming the key and the ARN;
 * `warn` receives each warning line.
 *
 * The promise form of the lookup rather than getStreamOutput: its failure can be caught, so that
 * the preview says which ARN was not found rather than only the provider's message.
 */
export async function lookUpStream(
    settings: Pick<PipelineSettings, "streamArn" | "streamKmsKeyArn">,
    namespace: string,
    warn: (line: string) => void,
    opts?: pulumi.InvokeOptions,
): Promise<CheckedStream> {
    const name = streamNameOf(settings.streamArn);
    const { region } = arnParts(settings.streamArn);
    let found: FoundStream;
    try {
        found = await aws.kinesis.getStream({ name, region }, opts);
    } catch (error) {
        const example = exampleArnProblem(
            settings.streamArn,
            `no such stream that the stack's AWS credentials can read: ${firstLine(error)}`,
        );
        throw new ConfigError(namespace, [
            example ?? {
                key: "streamArn",
                problem:
                    `no stream ${settings.streamArn} that the stack's AWS credentials can read ` +
                    `(${firstLine(error)}): check the ARN, and that the credentials are the stream's account's`,
            },
        ]);
    }
    let key: FoundKey | undefined;
    if (found.encryptionType === "KMS" && found.kmsKeyId) {
        try {
            key = await aws.kms.getKey({ keyId: found.kmsKeyId, region }, opts);
        } catch (error) {
            throw new ConfigError(namespace, [
                {
                    key: "streamKmsKeyArn",
                    problem: `cannot describe ${found.kmsKeyId}, the key the stream ${settings.streamArn} is encrypted with (${firstLine(error)})`,
                },
            ]);
        }
    }
    const finding = streamFinding(settings, found, key);
    if (finding?.severity === "error") throw new ConfigError(namespace, [finding]);
    if (finding) warn(formatProblem(namespace, finding));
    return {
        arn: found.arn,
        shards: found.openShards.length,
        onDemand: found.streamModeDetails?.[0]?.streamMode === "ON_DEMAND",
    };
}

/** The first line of an error's message: the provider's errors run over several. */
function firstLine(error: unknown): string {
    return String((error as Error)?.message ?? error).split("\n")[0];
}
