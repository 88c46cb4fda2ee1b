import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as yaml from "js-yaml";

const ROOT = path.join(__dirname, "..", "..");

interface Step {
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
}
interface Job {
    if?: string;
    permissions?: Record<string, string>;
    steps: Step[];
}

const workflow = yaml.load(fs.readFileSync(path.join(ROOT, ".github", "workflows", "pulumi.yml"), "utf8")) as {
    permissions?: Record<string, string>;
    env: Record<string, string>;
    jobs: Record<string, Job>;
};
const roleOf = (job: Job) =>
    String(
        job.steps.find(step => step.uses?.startsWith("aws-actions/configure-aws-credentials"))?.with?.[
            "role-to-assume"
        ],
    );
/** The jobs that assume an AWS role: they need the repository's secrets and its OIDC trust. */
const awsJobs = Object.entries(workflow.jobs).filter(([, job]) =>
    job.steps.some(step => step.uses?.startsWith("aws-actions/configure-aws-credentials")),
);

describe("CI (.github/workflows/pulumi.yml)", () => {
    it("has the preview and up jobs among those that use AWS", () => {
        expect(awsJobs.map(([name]) => name)).to.include.members(["preview", "up"]);
    });

    for (const [name, job] of awsJobs) {
        it(`runs ${name} only once the repository says AWS is set up (PULUMI_DEPLOY)`, () => {
            expect(job.if).to.include("vars.PULUMI_DEPLOY == 'true'");
        });

        it(`takes ${name}'s region from a repository variable, not a constant`, () => {
            const credentials = job.steps.find(step => step.uses?.startsWith("aws-actions/configure-aws-credentials"));
            expect(String(credentials!.with!["aws-region"])).to.match(/\$\{\{\s*vars\.AWS_REGION/);
        });
    }

    it("previews only pull requests from the repository itself: a fork's gets no secrets or OIDC token", () => {
        expect(workflow.jobs.preview.if).to.include(
            "github.event.pull_request.head.repo.full_name == github.repository",
        );
    });

    it("grants no OIDC token to the whole workflow: the top level only reads the repository", () => {
        expect(workflow.permissions).to.deep.equal({ contents: "read" });
    });

    it("grants id-token: write to each job that assumes a role, and to no other", () => {
        for (const [name, job] of Object.entries(workflow.jobs)) {
            const assumesRole = awsJobs.some(([awsName]) => awsName === name);
            expect(job.permissions?.["id-token"], name).to.equal(assumesRole ? "write" : undefined);
        }
    });

    it("previews with its own read-only role, never the deploy role, and not at all without one", () => {
        expect(roleOf(workflow.jobs.preview)).to.match(/^\$\{\{\s*vars\.AWS_PREVIEW_ROLE_ARN\s*\}\}$/);
        expect(JSON.stringify(workflow.jobs.preview)).to.not.include("AWS_DEPLOY_ROLE_ARN");
        expect(workflow.jobs.preview.if).to.include("vars.AWS_PREVIEW_ROLE_ARN != ''");
        expect(roleOf(workflow.jobs.up)).to.match(/^\$\{\{\s*vars\.AWS_DEPLOY_ROLE_ARN\s*\}\}$/);
    });

    it("runs the Pulumi CLI of the SDK's version in every Pulumi job", () => {
        const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
        expect(workflow.env.PULUMI_VERSION).to.equal(lock.packages["node_modules/@pulumi/pulumi"].version);
        for (const [name, job] of awsJobs) {
            const pulumiStep = job.steps.find(step => step.uses?.startsWith("pulumi/actions"));
            expect(pulumiStep?.with?.["pulumi-version"], name).to.match(/\$\{\{\s*env\.PULUMI_VERSION\s*\}\}/);
        }
    });

    it("installs Chromium once: npm test does it (so it is self-sufficient), .ci/run does not again", () => {
        const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
        expect(scripts["test:integration"]).to.match(/^npm run -s ensure:chromium && /);
        expect(fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8")).not.to.match(/^[^#]*ensure:chromium/m);
    });
});
