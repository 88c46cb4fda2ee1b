/**
 * The environment the processor gets in Lambda, pointed at stand-ins on this machine: its own
 * settings (functionVariables: TABLE_NAME, BUCKET_NAME, OBJECT_LAYOUT, ITEM_TTL_DAYS), the variables the Lambda runtime sets
 * (region, credentials, function name, version and memory, the X-Ray trace header), and the AWS
 * SDK's endpoint variables. One definition for the local run, the bench and the tests.
 */
import { DEFAULTS } from "../../pipeline/infra/config";
import { functionVariables, ObjectLayout } from "../../pipeline/schema";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "../aws/emulators";

export interface LambdaEnvironmentOptions {
    /** Where the function's DynamoDB and S3 requests go: emulators, fault proxies or the sink. */
    endpoints: { dynamodb: string; s3: string };
    tableName: string;
    bucketName: string;
    /** Default: the stack's, "record". */
    objectLayout?: ObjectLayout;
    /** ITEM_TTL_DAYS; unset, as in a stack without itemTtlDays: items never expire. */
    itemTtlDays?: number;
    /** AWS_LAMBDA_FUNCTION_NAME (default "stock-processor"): Powertools and the metrics name the function by it. */
    functionName?: string;
    /** AWS_LAMBDA_FUNCTION_MEMORY_SIZE in MB (default: the stack's). */
    memorySize?: number;
    /** Lambda's credentials are temporary: with a token, the SDK signs it into every request. */
    sessionToken?: string;
}

/**
 * As in Lambda, a trace header for the invocation: the SDK's recursion detection copies it into
 * each request it sends (when AWS_LAMBDA_FUNCTION_NAME is set too).
 */
const TRACE_ID = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=0";

export function lambdaEnvironment(options: LambdaEnvironmentOptions): Record<string, string> {
    return {
        ...functionVariables({
            tableName: options.tableName,
            bucketName: options.bucketName,
            objectLayout: options.objectLayout ?? DEFAULTS.objectLayout,
            itemTtlDays: options.itemTtlDays,
        }),
        AWS_REGION: EMULATOR_REGION,
        AWS_DEFAULT_REGION: EMULATOR_REGION,
        AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
        ...(options.sessionToken ? { AWS_SESSION_TOKEN: options.sessionToken } : {}),
        AWS_ENDPOINT_URL_DYNAMODB: options.endpoints.dynamodb,
        AWS_ENDPOINT_URL_S3: options.endpoints.s3,
        S3_FORCE_PATH_STYLE: "true",
        AWS_LAMBDA_FUNCTION_NAME: options.functionName ?? "stock-processor",
        AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memorySize ?? DEFAULTS.memorySize),
        _X_AMZN_TRACE_ID: TRACE_ID,
        // Lambda runs nodejs22.x; the SDK's notice about Node.js 20, here, is not the function's.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
}
