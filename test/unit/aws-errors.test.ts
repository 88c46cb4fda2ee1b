import { expect } from "chai";
import { explainAwsError } from "../../harness/cli/aws-errors";
import { UserError } from "../../harness/cli/cli";

/** An error as the AWS SDK throws it: a name, a message and the response's metadata. */
const serviceError = (name: string, message: string) =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

describe("AWS errors as one line (explainAwsError)", () => {
    const kinesis = {
        service: "Kinesis",
        endpoint: "http://127.0.0.1:4567",
        target: "stream ticks at http://127.0.0.1:4567",
        local: true,
        credentialsHint: "a local Kinesis needs --endpoint",
    };
    const cases: [string, unknown, object, string][] = [
        [
            "a refused connection to an emulator the user started",
            Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4567"), { code: "ECONNREFUSED" }),
            kinesis,
            "cannot reach Kinesis at http://127.0.0.1:4567 (ECONNREFUSED): is it running, and is the address right?",
        ],
        [
            "a network error only named in its cause, reaching AWS",
            Object.assign(new Error("request failed"), { cause: { code: "ENOTFOUND" } }),
            {},
            "cannot reach AWS (ENOTFOUND): check the network, the endpoint settings and any proxy",
        ],
        [
            "no credentials, for a named target",
            Object.assign(new Error("Could not load credentials from any providers"), {
                name: "CredentialsProviderError",
            }),
            {
                target: "arn:aws:kinesis:us-east-1:123456789012:stream/s",
                credentialsHint: "a local Kinesis needs --endpoint",
            },
            "no AWS credentials for arn:aws:kinesis:us-east-1:123456789012:stream/s: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (a local Kinesis needs --endpoint)",
        ],
        [
            "no credentials, without context",
            Object.assign(new Error("Could not load credentials from any providers"), {
                name: "CredentialsProviderError",
            }),
            {},
            "no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or SSO, an assumed role)",
        ],
        ["no region", new Error("Region is missing"), {}, "no AWS region: set AWS_REGION (or a profile's region)"],
        [
            "access denied, pointing at the permissions in docs/deploy.md",
            serviceError("AccessDeniedException", "User is not authorized to perform: dynamodb:GetItem"),
            { target: "table T" },
            "table T: AccessDeniedException: User is not authorized to perform: dynamodb:GetItem (see docs/deploy.md#permissions for the permissions this command needs)",
        ],
        [
            "a service's refusal, naming the service and endpoint when there is no target",
            serviceError("ResourceNotFoundException", "Stream s under account 0 not found.\nmore"),
            { service: "Kinesis", endpoint: "http://127.0.0.1:4567" },
            "Kinesis at http://127.0.0.1:4567: ResourceNotFoundException: Stream s under account 0 not found.",
        ],
    ];
    for (const [what, error, context, line] of cases) {
        it(`explains ${what}`, () => {
            const explained = explainAwsError(error, context);
            expect(explained).to.be.instanceOf(UserError);
            expect(explained!.message).to.equal(line);
        });
    }

    it("leaves an error that is a bug alone, and keeps a UserError as it is", () => {
        expect(explainAwsError(new TypeError("x is undefined"))).to.equal(undefined);
        const mine = new UserError("already one line");
        expect(explainAwsError(mine)).to.equal(mine);
    });
});
