/**
 * How `npm run replay` invokes the processor: the deployed function through
 * lambda:InvokeFunction, or locally the deployment package in its own process (the function pool
 * the local run uses). Either way the outcome is what the event source mapping would see.
 */
import { setTimeout as sleep } from "timers/promises";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";
import type { InvocationOutcome } from "../event-source-mapping/checkpoint";
import type { FunctionPool } from "../lambda/function-pool";
import { backoffMs, isTransient } from "../../pipeline/runtime/retry";

export type Invoke = (event: KinesisStreamEvent) => Promise<InvocationOutcome>;

/**
 * The deployed function, synchronously (RequestResponse). A function error (FunctionError set:
 * thrown, timed out, out of memory) is an outcome; an error of the Invoke call itself (throttled
 * calls are retried) is thrown, as it says nothing about the records.
 */
export function lambdaInvoker(client: LambdaClient, functionName: string): Invoke {
    return async event => {
        const payload = Buffer.from(JSON.stringify(event));
        for (let retry = 0; ; retry++) {
            try {
                const answer = await client.send(
                    new InvokeCommand({
                        FunctionName: functionName,
                        InvocationType: "RequestResponse",
                        Payload: payload,
                    }),
                );
                const text = answer.Payload ? Buffer.from(answer.Payload).toString("utf8") : "";
                if (answer.FunctionError) return { error: functionError(answer.FunctionError, text) };
                return { response: text ? (JSON.parse(text) as KinesisStreamBatchResponse) : null };
            } catch (error) {
                if (!isTransient(error) || retry >= 5) throw error;
                await sleep(backoffMs(retry, 200, 5000));
            }
        }
    };
}

/** Lambda's error payload: {"errorType": "...", "errorMessage": "..."}. */
function functionError(kind: string, payload: string): Error {
    try {
        const { errorType, errorMessage } = JSON.parse(payload) as { errorType?: string; errorMessage?: string };
        return Object.assign(new Error(errorMessage ?? payload), { name: errorType ?? kind });
    } catch {
        return Object.assign(new Error(payload || kind), { name: kind });
    }
}

/** The deployment package in a local process, as `npm run local` runs it. */
export function poolInvoker(pool: FunctionPool): Invoke {
    return async event => {
        try {
            return { response: await pool.invoke(event) };
        } catch (error) {
            return { error: error as Error };
        }
    };
}
