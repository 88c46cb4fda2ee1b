/**
 * AWS errors an operator can fix, as one line: no credentials or region, a permission missing, a
 * resource that is not there, an endpoint that does not answer. One wording for every command
 * that talks to AWS or an emulator (`npm run produce`, `verify`, `replay`, `query`, `report`); the
 * context names what was being reached.
 */
import { UserError } from "./cli";

/** What the failed request was for, as the line names it. */
export interface AwsErrorContext {
    /** The service, e.g. "Kinesis" (default: "AWS"). */
    service?: string;
    /** The endpoint the request went to, when the user gave it or it is worth naming. */
    endpoint?: string;
    /** The resource, e.g. a stream's ARN: named by the credentials line and before a service's refusal. */
    target?: string;
    /** An endpoint the user started (an emulator): a refused connection means it is not running. */
    local?: boolean;
    /** Said instead of "or SSO, an assumed role", e.g. "a local Kinesis needs --endpoint". */
    credentialsHint?: string;
}

const NETWORK_CODES = [
    "ECONNREFUSED",
    "ECONNRESET",
    "ENOTFOUND",
    "EAI_AGAIN",
    "ETIMEDOUT",
    "EHOSTUNREACH",
    "ENETUNREACH",
];

type AwsLikeError = Error & { code?: string; cause?: unknown; $metadata?: unknown };

/** ECONNREFUSED and the like, on the error or its causes, or (HTTP/2 handler) only in its message. */
function networkErrorCode(error: AwsLikeError): string | undefined {
    for (let e: AwsLikeError | undefined = error; e; e = e.cause as AwsLikeError | undefined)
        if (e.code && NETWORK_CODES.includes(e.code)) return e.code;
    if (error.name === "TimeoutError") return error.name;
    return NETWORK_CODES.find(code => error.message?.includes(code));
}

/** "Kinesis at http://127.0.0.1:4567", "AWS". */
const where = (context: AwsErrorContext) =>
    `${context.service ?? "AWS"}${context.endpoint ? ` at ${context.endpoint}` : ""}`;

/** A UserError that says what failed and how to fix it, or undefined for an error that is a bug. */
export function explainAwsError(error: unknown, context: AwsErrorContext = {}): UserError | undefined {
    if (!error || typeof error !== "object") return undefined;
    if (error instanceof UserError) return error;
    const err = error as AwsLikeError;
    const message = err.message ?? "";
    const network = networkErrorCode(err);
    if (network) {
        const hint = context.local
            ? "is it running, and is the address right?"
            : "check the network, the endpoint settings and any proxy";
        return new UserError(`cannot reach ${where(context)} (${network}): ${hint}`);
    }
    if (err.name === "CredentialsProviderError" || /Could not load credentials/.test(message))
        return new UserError(
            `no AWS credentials${context.target ? ` for ${context.target}` : ""}: set AWS_PROFILE, or ` +
                `AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (${context.credentialsHint ?? "or SSO, an assumed role"})`,
        );
    if (/Region is missing/.test(message))
        return new UserError("no AWS region: set AWS_REGION (or a profile's region)");
    if (err.$metadata) {
        const hint = /AccessDenied|UnauthorizedOperation|NotAuthorized/.test(err.name ?? "")
            ? " (see docs/deploy.md#permissions for the permissions this command needs)"
            : "";
        const about = context.target ?? (context.service ? where(context) : undefined);
        return new UserError(`${about ? `${about}: ` : ""}${err.name}: ${message.split("\n")[0]}${hint}`);
    }
    return undefined;
}
