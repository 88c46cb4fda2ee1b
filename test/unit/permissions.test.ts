// The CI roles' policies, generated from the resources the program declares.
import { expect } from "chai";
import { ProgramRun, runProgram } from "../../harness/pulumi/program-under-mocks";
import {
    deployRolePolicy,
    PERMISSIONS,
    previewRolePolicy,
    RoleTarget,
    statementReasons,
    typesWithoutPermissions,
} from "../../harness/pulumi/permissions";

const STREAM = "arn:aws:kinesis:us-east-1:111122223333:stream/ticks";
const KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const TARGET: RoleTarget = { region: "us-east-1", account: "111122223333", streamArn: STREAM, streamKmsKeyArn: KEY };

interface Statement {
    Sid: string;
    Action: string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string>>;
}
const statementsOf = (policy: string) => (JSON.parse(policy) as { Statement: Statement[] }).Statement;
const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

describe("the CI roles' policies", () => {
    /** Every option that adds resources on: the most the program can declare. */
    let everything: ProgramRun;
    before(async () => {
        everything = await runProgram(
            {
                streamArn: STREAM,
                streamKmsKeyArn: KEY,
                alarmEmail: "oncall@example.com",
                alarmTopicEncryption: "true",
                accessLogsBucket: "org-access-logs",
                dayIndex: "true",
                itemTtlDays: "30",
                rawExpireAfterDays: "90",
                reservedConcurrency: "4",
            },
            { stream: { kmsKeyId: KEY } },
        );
    });

    it("know the permissions of every resource type the program can declare, and of no other", () => {
        expect(typesWithoutPermissions(everything)).to.deep.equal([]);
        const declared = new Set(everything.resources.map(r => r.type));
        expect(Object.keys(PERMISSIONS).filter(type => !declared.has(type))).to.deep.equal([]);
    });

    it("give each statement a Sid, as IAM takes them (letters and digits)", () => {
        for (const policy of [deployRolePolicy(everything, TARGET), previewRolePolicy(everything, TARGET)])
            for (const statement of statementsOf(policy)) expect(statement.Sid).to.match(/^[A-Za-z0-9]+$/);
    });

    it("each have a reason in the docs' table for every Sid they hold, and the table names no other", () => {
        const named = statementReasons().flatMap(([sids]) => sids.split(", "));
        const explains = (sid: string) =>
            named.some(name => name === sid || (name.endsWith("…") && sid.startsWith(name.slice(0, -1))));
        const held = new Set(
            [deployRolePolicy(everything, TARGET), previewRolePolicy(everything, TARGET)].flatMap(policy =>
                statementsOf(policy).map(s => s.Sid),
            ),
        );
        expect([...held].filter(sid => !explains(sid))).to.deep.equal([]);
        const explained = (name: string) =>
            [...held].some(sid => sid === name || (name.endsWith("…") && sid.startsWith(name.slice(0, -1))));
        expect(named.filter(name => !explained(name))).to.deep.equal([]);
    });

    it("let the preview role only read: Get, List and Describe actions", () => {
        const actions = statementsOf(previewRolePolicy(everything, TARGET)).flatMap(s => s.Action);
        const writes = actions.filter(action => !/^[a-z0-9-]+:(Get|List|Describe)/.test(action));
        expect(writes).to.deep.equal([]);
        expect(actions).to.include.members(["kinesis:DescribeStream", "lambda:GetFunction", "dynamodb:DescribeTable"]);
    });

    it("scope the deploy role to the stack's own resources, with no wildcard action", () => {
        const statements = statementsOf(deployRolePolicy(everything, TARGET));
        for (const statement of statements)
            for (const action of statement.Action) expect(action, statement.Sid).to.not.include("*");
        const bySid = Object.fromEntries(statements.map(s => [s.Sid, s]));
        expect(bySid.ManageFunction.Resource).to.equal("arn:aws:lambda:us-east-1:111122223333:function:processor-fn-*");
        expect(bySid.ManageFunctionRole.Resource).to.equal("arn:aws:iam::111122223333:role/processor-role-*");
        expect(bySid.PassTheFunctionRoleToLambda.Condition).to.deep.equal({
            StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" },
        });
        expect(list(bySid.ManageBucketVersioning.Resource)).to.deep.equal(["arn:aws:s3:::storage-records-*"]);
        // Only CreateKey, which KMS cannot scope, and the mapping's create (scoped by a condition) take "*".
        const anywhere = statements.filter(s => list(s.Resource).includes("*")).map(s => s.Sid);
        expect(anywhere.sort()).to.deep.equal(["CreateTheAlarmTopicKey", "SubscribeTheFunction"]);
    });

    it("let the deploy role empty a bucket on destroy only when the stack does not protect its data", async () => {
        const sids = (policy: string) => statementsOf(policy).map(s => s.Sid);
        expect(sids(deployRolePolicy(everything, TARGET))).to.include("EmptyOnDestroy0");
        const protectedRun = await runProgram({ streamArn: STREAM, protectData: "true", analytics: "false" });
        expect(
            sids(deployRolePolicy(protectedRun, TARGET)).filter(sid => sid.startsWith("EmptyOnDestroy")),
        ).to.deep.equal([]);
    });

    it("let the deploy role run npm run verify's canaries after pulumi up, as CI does", () => {
        const bySid = Object.fromEntries(statementsOf(deployRolePolicy(everything, TARGET)).map(s => [s.Sid, s]));
        expect(bySid.VerifyPutCanaries.Action).to.deep.equal(["kinesis:ListShards", "kinesis:PutRecords"]);
        expect(bySid.VerifyEncryptCanaries.Resource).to.equal(KEY);
        expect(bySid.VerifyReadAndDeleteCanaryObjects.Resource).to.deep.equal([
            "arn:aws:s3:::storage-records-*/raw/*",
            "arn:aws:s3:::storage-records-*/processed/*",
        ]);
    });
});
