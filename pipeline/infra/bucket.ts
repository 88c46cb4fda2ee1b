import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** What a hardened bucket gets besides its lifecycle, which differs per bucket. */
export interface BucketHardening {
    publicAccessBlock: aws.s3.BucketPublicAccessBlock;
    ownershipControls: aws.s3.BucketOwnershipControls;
    encryption: aws.s3.BucketServerSideEncryptionConfiguration;
    tlsOnlyPolicy: aws.s3.BucketPolicy;
}

/**
 * Makes a bucket private and safe at rest and in transit, as every bucket of this project is: all
 * four public-access blocks, bucket-owner-enforced ownership (no ACLs), SSE-S3 default encryption
 * with a bucket key, and a policy that denies any request without TLS. Resources are named
 * `${name}-public-access`, `-ownership`, `-encryption` and `-tls-only`.
 *
 * `opts` are given to each of them: their parent, and `retainOnDelete` when the bucket itself is
 * retained, so that a retained bucket keeps its protections when the stack is destroyed.
 */
export function hardenBucket(name: string, bucket: aws.s3.Bucket, opts: pulumi.CustomResourceOptions): BucketHardening {
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
        `${name}-public-access`,
        {
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        },
        opts,
    );
    const ownershipControls = new aws.s3.BucketOwnershipControls(
        `${name}-ownership`,
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        opts,
    );
    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-encryption`,
        {
            bucket: bucket.id,
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
        },
        opts,
    );
    const tlsOnlyPolicy = new aws.s3.BucketPolicy(
        `${name}-tls-only`,
        { bucket: bucket.id, policy: bucket.arn.apply(denyInsecureTransport) },
        // S3 answers OperationAborted to concurrent changes of one bucket's access settings.
        { ...opts, dependsOn: [publicAccessBlock] },
    );
    return { publicAccessBlock, ownershipControls, encryption, tlsOnlyPolicy };
}

/** Where a bucket's S3 server access logs go. */
export interface AccessLogs {
    /** An existing bucket in the stack's region whose policy lets logging.s3.amazonaws.com write. */
    bucketName: string;
    /** The prefix for this stack's logs, ending in `/`: each bucket logs under `<prefix><its name>/`. */
    prefix: string;
}

/**
 * Turns on S3 server access logging for a bucket (Security Hub S3.9): every request to it,
 * with the caller, is written to the log bucket under `<prefix><bucket name>/`. The resource is
 * named `${name}-access-logs`.
 */
export function logAccess(
    name: string,
    bucket: aws.s3.Bucket,
    logs: AccessLogs,
    opts: pulumi.CustomResourceOptions,
): aws.s3.BucketLogging {
    return new aws.s3.BucketLogging(
        `${name}-access-logs`,
        {
            bucket: bucket.id,
            targetBucket: logs.bucketName,
            targetPrefix: pulumi.interpolate`${logs.prefix}${bucket.bucket}/`,
        },
        opts,
    );
}

/** A bucket policy that denies every request made without TLS, to the bucket and its objects. */
function denyInsecureTransport(bucketArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    });
}
