/**
 * AWS errors an operator can fix, as one line: no credentials, a permission missing, a resource
 * that is not there, an endpoint that does not answer. For the commands that talk to a deployed
 * stack (`npm run verify`, `npm run replay`).
 */
import { UserError } from "./cli";

const NETWORK = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH)$/;

/** A UserError that says what failed and how to fix it, or undefined for an error that is a bug. */
export function explainAwsError(error: unknown): UserError | undefined {
    const err = error as { name?: string; message?: string; code?: string; $metadata?: unknown };
    if (!err || typeof err !== "object") return undefined;
    if (err instanceof UserError) return err;
    if (err.name === "CredentialsProviderError" || /Could not load credentials/.test(err.message ?? ""))
        return new UserError(
            "no AWS credentials: set them as for the AWS CLI (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO, an assumed role)",
        );
    if (/Region is missing/.test(err.message ?? ""))
        return new UserError("no AWS region: set AWS_REGION (or a profile's region)");
    if (NETWORK.test(err.code ?? ""))
        return new UserError(
            `cannot reach AWS (${err.code}: ${err.message}): check the network or the endpoint settings`,
        );
    if (err.$metadata) {
        const hint = /AccessDenied|UnauthorizedOperation|NotAuthorized/.test(err.name ?? "")
            ? " (see the README for the permissions this command needs)"
            : "";
        return new UserError(`${err.name}: ${err.message}${hint}`);
    }
    return undefined;
}
