import { expect } from "chai";
import { lambdaEnvironment } from "../../harness/lambda/environment";

describe("the function's environment on this machine (lambdaEnvironment)", () => {
    const endpoints = { dynamodb: "http://127.0.0.1:1", s3: "http://127.0.0.1:2" };

    it("holds the function's settings, the variables Lambda sets and the SDK's endpoints", () => {
        const env = lambdaEnvironment({ endpoints, tableName: "T", bucketName: "B" });
        expect(env).to.include({
            TABLE_NAME: "T",
            BUCKET_NAME: "B",
            OBJECT_LAYOUT: "record",
            AWS_LAMBDA_FUNCTION_NAME: "stock-processor",
            AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
            AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
            AWS_ENDPOINT_URL_S3: endpoints.s3,
            S3_FORCE_PATH_STYLE: "true",
        });
        expect(env.AWS_REGION).to.be.a("string").and.equal(env.AWS_DEFAULT_REGION);
        expect(env._X_AMZN_TRACE_ID).to.match(/^Root=1-/);
        expect(env).not.to.have.property("AWS_SESSION_TOKEN");
        expect(env, "items never expire unless told").not.to.have.property("ITEM_TTL_DAYS");
    });

    it("gives an item TTL as ITEM_TTL_DAYS, the variable the deployed function gets it by", () => {
        const env = lambdaEnvironment({ endpoints, tableName: "T", bucketName: "B", itemTtlDays: 7 });
        expect(env.ITEM_TTL_DAYS).to.equal("7");
    });

    it("takes the layout, the function's name and memory, and a session token when given", () => {
        const env = lambdaEnvironment({
            endpoints,
            tableName: "T",
            bucketName: "B",
            objectLayout: "batch",
            functionName: "stock-processor-local",
            memorySize: 1024,
            sessionToken: "token",
        });
        expect(env).to.include({
            OBJECT_LAYOUT: "batch",
            AWS_LAMBDA_FUNCTION_NAME: "stock-processor-local",
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1024",
            AWS_SESSION_TOKEN: "token",
        });
    });
});
