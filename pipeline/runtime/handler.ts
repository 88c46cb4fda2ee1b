import type { KinesisStreamBatchResponse, KinesisStreamEvent } from "aws-lambda";

export type ProcessorHandler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

export function createHandlerFromEnvironment(): ProcessorHandler {
    return async () => ({ batchItemFailures: [] });
}
