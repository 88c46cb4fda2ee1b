/**
 * A faithful TypeScript port of the ORIGINAL Python Lambda (origin/000_7d6cc9e6828a1725.txt,
 * module 3, the version that also writes to S3), kept only as the baseline for `npm run bench`.
 * It is NOT the processor and must never be deployed: see the processing contract,
 * "Where the original loses data".
 *
 * Its algorithm, unchanged: for each record, in order, one request at a time (boto3 is
 * synchronous, so every call is a full round trip before the next starts):
 *   1. base64-decode, UTF-8-decode, parse the JSON keeping exact prices (Python's
 *      `parse_float=Decimal`; here lossless-json, as JSON.parse would round to a double);
 *   2. PutObject `raw/<symbol>_<now %Y-%m-%d_%H-%M-%S-%f>.json` with `json.dumps(payload, default=str)`;
 *   3. PutItem `{symbol, price (exact Number), timestamp, day}`;
 *   4. PutObject `processed/<symbol>_<now …>.json` with the item, dumped the same way.
 * Clients are created once (module scope in Python, the factory here), keep-alive, with the SDK's
 * default retries (boto3's legacy mode: 5 attempts; the JS SDK's standard mode: 3).
 *
 * Its flaws, kept on purpose (this is the thing being measured against):
 * - A catch-all around the whole loop returns `{statusCode: 500, body}`: Lambda takes any returned
 *   value as success, checkpoints, and every record after the failing one is lost.
 * - S3 errors are swallowed with a print (`save_to_s3`), so a record can be "processed" with no
 *   raw/ or processed/ object.
 * - One malformed record ends the loop (see the catch-all).
 * - Object keys come from the clock (`datetime.now()`, microseconds, the Lambda's TZ = UTC): a
 *   redelivered record writes duplicate objects; two same-symbol puts in one microsecond overwrite.
 * - Nothing is validated: a missing field, a non-numeric price or a bad timestamp throws (→ 500);
 *   a symbol with '/' or '..' lands wherever it points in the key space.
 * - 3 sequential round trips per record: a batch of 100 is 300 round trips.
 * - The raw/ object is the re-serialized payload, not the record's bytes: `default=str` turns every
 *   Decimal price into a JSON *string* ("189.12"), and Python's separators (", ", ": ") and
 *   ensure_ascii escaping are used — reproduced here.
 *
 * Deviations it cannot avoid (irrelevant to the valid ticks the bench sends): Python's json.loads
 * accepts NaN/Infinity and lets a duplicate key win, lossless-json rejects both; `day` is taken
 * from the timestamp's first 10 characters after a shape check, not from `datetime.fromisoformat`
 * (Python 3.9 accepts fewer forms and re-formats; for `YYYY-MM-DD…` timestamps both give the same).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, NumberValue, PutCommand } from "@aws-sdk/lib-dynamodb";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { isLosslessNumber, parse } from "lossless-json";
import type { KinesisStreamEvent } from "aws-lambda";

export interface OriginalPortResponse {
    statusCode: number;
    body: string;
}

export type OriginalPortHandler = (event: KinesisStreamEvent) => Promise<OriginalPortResponse>;

/** Python's `payload['x']`: a missing key raises (KeyError), which the catch-all turns into a 500. */
function item(payload: unknown, key: string): unknown {
    if (
        typeof payload !== "object" ||
        payload === null ||
        Array.isArray(payload) ||
        !Object.prototype.hasOwnProperty.call(payload, key)
    ) {
        throw new Error(`KeyError: '${key}'`);
    }
    return (payload as Record<string, unknown>)[key];
}

/** Python's `Decimal(str(x))` for what json.loads can produce: a Decimal, an int or a numeric str. */
function decimalText(value: unknown): string {
    const text = isLosslessNumber(value) ? value.value : typeof value === "string" ? value.trim() : undefined;
    if (text === undefined || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
        throw new Error(`decimal.InvalidOperation: [<class 'decimal.ConversionSyntax'>] ${String(value)}`);
    }
    return text;
}

/** `datetime.fromisoformat(ts).strftime('%Y-%m-%d')` for the timestamps it accepts. */
function dayOf(timestamp: unknown): string {
    if (typeof timestamp !== "string" || !/^\d{4}-\d{2}-\d{2}/.test(timestamp)) {
        throw new Error(`ValueError: Invalid isoformat string: ${JSON.stringify(timestamp)}`);
    }
    return timestamp.slice(0, 10);
}

/** `datetime.now().strftime('%Y-%m-%d_%H-%M-%S-%f')` in UTC, with microseconds. */
function nowForKey(): string {
    const micros = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
    const date = new Date(Number(micros / 1000n));
    const two = (n: number) => String(n).padStart(2, "0");
    return (
        `${date.getUTCFullYear()}-${two(date.getUTCMonth() + 1)}-${two(date.getUTCDate())}_` +
        `${two(date.getUTCHours())}-${two(date.getUTCMinutes())}-${two(date.getUTCSeconds())}-${String(micros % 1_000_000n).padStart(6, "0")}`
    );
}

/**
 * `json.dumps(data, default=str)`: separators ", " and ": ", non-ASCII escaped (ensure_ascii),
 * a Decimal (any non-integer number from parse_float=Decimal) written as a string through str(),
 * an int as a number.
 */
export function pythonJsonDumps(value: unknown): string {
    if (isLosslessNumber(value)) {
        const text = value.value;
        // json.loads gives an int for integer literals, a Decimal (serialized by default=str) otherwise.
        return /^-?\d+$/.test(text) ? text : pythonJsonDumps(text);
    }
    if (value instanceof NumberValue) return pythonJsonDumps(value.value); // a Decimal in the item
    if (value === null) return "null";
    if (typeof value === "boolean") return value ? "true" : "false";
    if (typeof value === "string")
        return JSON.stringify(value).replace(
            /[\u007f-\uffff]/g,
            c => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
        );
    if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(", ")}]`;
    if (typeof value === "object") {
        return `{${Object.entries(value as Record<string, unknown>)
            .map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`)
            .join(", ")}}`;
    }
    return pythonJsonDumps(String(value));
}

export interface OriginalPortEnvironment {
    TABLE_NAME?: string;
    BUCKET_NAME?: string;
    AWS_REGION?: string;
    AWS_ENDPOINT_URL_DYNAMODB?: string;
    AWS_ENDPOINT_URL_S3?: string;
    S3_FORCE_PATH_STYLE?: string;
    AWS_ACCESS_KEY_ID?: string;
    AWS_SECRET_ACCESS_KEY?: string;
    /** Lambda's credentials are temporary: boto3 signs the session token into every request. */
    AWS_SESSION_TOKEN?: string;
}

/**
 * The original's module scope (clients and names, created once per container) and its
 * `lambda_handler`. The original hard-codes 'StockMarketData' and 'stock-market-data-username';
 * the port takes them, and the endpoints, from `env` so the bench can point it at emulators.
 */
export function createOriginalPortHandler(env: OriginalPortEnvironment = process.env): OriginalPortHandler {
    const tableName = env.TABLE_NAME ?? "StockMarketData";
    const bucketName = env.BUCKET_NAME ?? "stock-market-data-username";
    const credentials =
        env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
            ? {
                  accessKeyId: env.AWS_ACCESS_KEY_ID,
                  secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
                  sessionToken: env.AWS_SESSION_TOKEN,
              }
            : undefined;
    const common = { region: env.AWS_REGION, credentials };
    // SDK defaults otherwise: keep-alive agent, standard retry mode (3 attempts).
    const table = DynamoDBDocumentClient.from(
        new DynamoDBClient({ ...common, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB }),
    );
    const s3 = new S3Client({
        ...common,
        endpoint: env.AWS_ENDPOINT_URL_S3,
        forcePathStyle: env.S3_FORCE_PATH_STYLE === "true",
    });

    async function saveToS3(key: string, data: unknown): Promise<void> {
        try {
            const fileContent = pythonJsonDumps(data);
            await s3.send(
                new PutObjectCommand({
                    Bucket: bucketName,
                    Key: key,
                    Body: fileContent,
                    ContentType: "application/json",
                }),
            );
        } catch (e) {
            console.log(`Error guardando datos en S3: ${e instanceof Error ? e.message : String(e)}`); // swallowed, as the original does
        }
    }

    return async event => {
        try {
            for (const record of event.Records) {
                const payloadBase64 = record.kinesis.data;
                const payloadDecoded = new TextDecoder("utf-8", { fatal: true }).decode(
                    Buffer.from(payloadBase64, "base64"),
                );
                const payload = parse(payloadDecoded) as unknown;

                // Guardar datos crudos
                await saveToS3(`raw/${String(item(payload, "symbol"))}_${nowForKey()}.json`, payload);

                // Transformar y guardar datos procesados
                const transformedData = {
                    symbol: item(payload, "symbol"),
                    price: NumberValue.from(decimalText(item(payload, "price"))),
                    timestamp: item(payload, "timestamp"),
                    day: dayOf(item(payload, "timestamp")),
                };
                await table.send(new PutCommand({ TableName: tableName, Item: transformedData }));
                await saveToS3(`processed/${String(transformedData.symbol)}_${nowForKey()}.json`, transformedData);
            }
            return { statusCode: 200, body: "Datos procesados y guardados en S3" };
        } catch (e) {
            return { statusCode: 500, body: e instanceof Error ? e.message : String(e) }; // Lambda checkpoints past this
        }
    };
}
