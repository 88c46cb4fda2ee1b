/**
 * The resources a program declared, as a tree like `pulumi preview` draws it, with the few
 * properties that decide what the stack does: table keys, the function's runtime and size, the
 * mapping's settings, the role's statements. Values that only exist once deployed (ARNs, ids,
 * generated names) are shown as references to their resource, e.g. `<storage-ticks.arn>`.
 */
import {
    DeclaredResource,
    fakeArn,
    fakeId,
    fakeName,
    GENERATED_SUFFIX,
    ProgramRun,
    resourceId,
} from "./program-under-mocks";

type Describe = (inputs: Record<string, any>, ref: (text: string) => string) => string[];

interface Statement {
    Sid?: string;
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
    Principal?: unknown;
    Condition?: Record<string, Record<string, string>>;
}

const list = (value: string | string[] | undefined) => (Array.isArray(value) ? value : value ? [value] : []);

/** Who a resource policy's statement is for: `*`, or its services and accounts. */
function principal(value: unknown): string {
    if (value === undefined) return "";
    if (typeof value === "string") return ` to ${value}`;
    const who = Object.values(value as Record<string, string | string[]>).flatMap(list);
    return ` to ${who.join(", ")}`;
}

function statements(policy: string, ref: (text: string) => string): string[] {
    const { Statement } = JSON.parse(policy) as { Statement: Statement[] };
    return Statement.map(s => {
        const condition = Object.entries(s.Condition ?? {}).flatMap(([op, tests]) =>
            Object.entries(tests).map(([key, value]) => `${key} ${op} ${ref(String(value))}`),
        );
        const when = condition.length ? ` when ${condition.join(" and ")}` : "";
        const sid = s.Sid ? `${s.Sid}: ` : "";
        return `${sid}${s.Effect} ${list(s.Action).join(", ")}${principal(s.Principal)} on ${list(s.Resource).map(ref).join(", ")}${when}`;
    });
}

const COMPARISONS: Record<string, string> = {
    GreaterThanThreshold: ">",
    GreaterThanOrEqualToThreshold: ">=",
    LessThanThreshold: "<",
    LessThanOrEqualToThreshold: "<=",
};

const onOff = (value: unknown) => (value ? "on" : "off");

/** What to show per resource type; a type not listed shows its type and name only. */
const DESCRIBE: Record<string, Describe> = {
    "aws:dynamodb/table:Table": (t, ref) => {
        const types = Object.fromEntries((t.attributes ?? []).map((a: any) => [a.name, a.type]));
        const lines = [
            `name ${t.name ?? "(generated)"}; key ${t.hashKey} ${types[t.hashKey]} (hash)` +
                (t.rangeKey ? ` + ${t.rangeKey} ${types[t.rangeKey]} (range)` : "") +
                `; ${t.billingMode}`,
            `point-in-time recovery ${onOff(t.pointInTimeRecovery?.enabled)}, encryption ${onOff(t.serverSideEncryption?.enabled)}, ` +
                `deletion protection ${onOff(t.deletionProtectionEnabled)}, ` +
                (t.ttl?.enabled ? `items expire on ${t.ttl.attributeName} (TTL)` : "items never expire"),
        ];
        for (const index of t.globalSecondaryIndexes ?? []) {
            const keys = index.keySchemas
                .map((k: any) => `${k.attributeName} (${k.keyType.toLowerCase()})`)
                .join(" + ");
            lines.push(`index ${index.name}: ${keys}, projection ${index.projectionType}`);
        }
        return lines.map(ref);
    },
    "aws:s3/bucket:Bucket": b => [
        `name ${b.bucket ?? "(generated)"}; ${b.forceDestroy ? "emptied by pulumi destroy" : "never emptied by pulumi destroy"}`,
    ],
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": p => [
        ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]
            .map(key => `${key} ${p[key] === true}`)
            .join(", "),
    ],
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": o => [`ownership ${o.rule?.objectOwnership}`],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": e =>
        (e.rules ?? []).map(
            (r: any) =>
                `default encryption ${r.applyServerSideEncryptionByDefault?.sseAlgorithm}, bucket key ${onOff(r.bucketKeyEnabled)}`,
        ),
    "aws:s3/bucketPolicy:BucketPolicy": (p, ref) => statements(p.policy, ref),
    "aws:s3/bucketVersioning:BucketVersioning": v => [`versioning ${v.versioningConfiguration?.status ?? "unset"}`],
    "aws:s3/bucketLogging:BucketLogging": (l, ref) => [
        `access logs to s3://${l.targetBucket}/${ref(String(l.targetPrefix))}`,
    ],
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": l =>
        (l.rules ?? []).map((r: any) => {
            const prefix = r.filter?.prefix ? `${r.filter.prefix} ` : "";
            const moves = (r.transitions ?? []).map((t: any) => `to ${t.storageClass} after ${t.days} days`);
            if (r.expiration?.days) moves.push(`expire after ${r.expiration.days} days`);
            if (r.noncurrentVersionExpiration)
                moves.push(`old versions expire after ${r.noncurrentVersionExpiration.noncurrentDays} days`);
            if (r.expiration?.expiredObjectDeleteMarker) moves.push("bare delete markers removed");
            const abort = r.abortIncompleteMultipartUpload
                ? [`abort incomplete uploads after ${r.abortIncompleteMultipartUpload.daysAfterInitiation} days`]
                : [];
            return `${r.id}: ${prefix}${[...moves, ...abort].join(", ")}`;
        }),
    "aws:sqs/queue:Queue": q => [
        `retention ${q.messageRetentionSeconds / 86400} days, encryption ${q.sqsManagedSseEnabled ? "SQS managed" : q.kmsMasterKeyId ? "KMS" : "off"}`,
    ],
    "aws:cloudwatch/logGroup:LogGroup": (g, ref) => [
        `name ${ref(fakeName("aws:cloudwatch/logGroup:LogGroup", "", g))}, retention ${g.retentionInDays} days`,
    ],
    "aws:iam/role:Role": r => {
        const { Statement } = JSON.parse(r.assumeRolePolicy) as { Statement: { Principal: { Service?: string } }[] };
        return [`assumed by ${Statement.map(s => s.Principal.Service).join(", ")}`];
    },
    "aws:iam/rolePolicy:RolePolicy": (p, ref) => statements(p.policy, ref),
    "aws:lambda/function:Function": (f, ref) => [
        `${f.runtime}, ${list(f.architectures).join(", ") || "x86_64"}, memory ${f.memorySize} MB, timeout ${f.timeout} s, handler ${f.handler}`,
        f.reservedConcurrentExecutions === undefined
            ? "no concurrency cap (reservedConcurrency unset)"
            : `at most ${f.reservedConcurrentExecutions} concurrent executions (reserved concurrency)`,
        `environment ${Object.entries(f.environment?.variables ?? {})
            .map(([k, v]) => `${k}=${ref(String(v))}`)
            .join(", ")}`,
        `role ${ref(f.role)}, logs ${f.loggingConfig?.logFormat ?? "Text"} to ${ref(f.loggingConfig?.logGroup ?? "its default group")}`,
    ],
    "aws:lambda/eventSourceMapping:EventSourceMapping": (m, ref) => [
        `${ref(m.eventSourceArn)} → ${ref(m.functionName)}`,
        `batchSize ${m.batchSize}, maximumBatchingWindowInSeconds ${m.maximumBatchingWindowInSeconds}, startingPosition ${m.startingPosition}` +
            (m.startingPositionTimestamp ? ` ${m.startingPositionTimestamp}` : "") +
            `, parallelizationFactor ${m.parallelizationFactor}`,
        `maximumRetryAttempts ${m.maximumRetryAttempts}, maximumRecordAgeInSeconds ${m.maximumRecordAgeInSeconds}, ` +
            `bisectBatchOnFunctionError ${m.bisectBatchOnFunctionError === true}, ${list(m.functionResponseTypes).join(", ") || "no partial batch responses"}`,
        `on failure → ${ref(m.destinationConfig?.onFailure?.destinationArn ?? "nowhere")}`,
    ],
    "aws:cloudwatch/metricAlarm:MetricAlarm": a => [
        `${a.name ? `${a.name}: ` : ""}${a.namespace} ${a.metricName} ${a.statistic} ${COMPARISONS[a.comparisonOperator] ?? a.comparisonOperator} ${a.threshold} ` +
            `for ${a.evaluationPeriods} × ${a.period} s`,
    ],
    "aws:cloudwatch/dashboard:Dashboard": d => [
        `name ${d.dashboardName}, ${(JSON.parse(d.dashboardBody ?? "{}") as { widgets?: unknown[] }).widgets?.length ?? 0} widgets`,
    ],
    "aws:glue/catalogDatabase:CatalogDatabase": d => [`name ${d.name}`],
    "aws:glue/catalogTable:CatalogTable": (t, ref) => [
        `${t.databaseName}.${t.name}: ${t.storageDescriptor?.columns?.length ?? 0} columns, partitioned by ` +
            `${(t.partitionKeys ?? []).map((k: any) => k.name).join(", ") || "nothing"}` +
            (t.parameters?.["projection.enabled"] === "true" ? " (partition projection)" : ""),
        `location ${ref(t.parameters?.["storage.location.template"] ?? t.storageDescriptor?.location ?? "unset")}`,
    ],
    "aws:athena/workgroup:Workgroup": (w, ref) => {
        const c = w.configuration ?? {};
        const gib = c.bytesScannedCutoffPerQuery ? `${c.bytesScannedCutoffPerQuery / 2 ** 30} GiB` : "no limit";
        return [
            `name ${w.name}; settings enforced ${c.enforceWorkgroupConfiguration === true}; at most ${gib} scanned per query`,
            `results to ${ref(c.resultConfiguration?.outputLocation ?? "unset")}`,
        ];
    },
    "aws:athena/namedQuery:NamedQuery": q => [`${q.name} on ${q.database}`],
    "aws:sns/topicSubscription:TopicSubscription": (s, ref) => [`${s.protocol} ${s.endpoint} to ${ref(s.topic)}`],
    "aws:sns/topic:Topic": (t, ref) => [`encryption ${t.kmsMasterKeyId ? `KMS, key ${ref(t.kmsMasterKeyId)}` : "off"}`],
    "aws:sns/topicPolicy:TopicPolicy": (p, ref) => statements(p.policy, ref),
    "aws:kms/key:Key": (k, ref) => [
        `${k.description ?? "a key"}; rotation ${onOff(k.enableKeyRotation)}, deleted ${k.deletionWindowInDays ?? 30} days after it is scheduled`,
        ...statements(k.policy, ref),
    ],
};

/**
 * Rewrites the mocks' stand-ins (fake ARNs, ids and generated names) into references to the
 * resource they belong to: the real values exist only once deployed.
 */
function referenceResolver(resources: DeclaredResource[]): (text: string) => string {
    const pairs: [string, string][] = [];
    for (const r of resources) {
        if (r.type.startsWith("pulumi:") || !r.type.startsWith("aws:")) continue;
        pairs.push([fakeArn(r), `<${r.name}.arn>`], [fakeId(r.name), `<${r.name}.id>`]);
        const name = fakeName(r.type, r.name, r.inputs);
        if (name.endsWith(GENERATED_SUFFIX)) pairs.push([name, `<${r.name}.name>`]);
    }
    pairs.sort((a, b) => b[0].length - a[0].length);
    return text => pairs.reduce((out, [fake, reference]) => out.split(fake).join(reference), text);
}

function options(resource: DeclaredResource): string {
    const set = Object.entries(resource.options)
        .filter(([, on]) => on)
        .map(([name]) => name);
    return set.length ? `  [${set.join(", ")}]` : "";
}

/** `aws:s3/bucket:Bucket` as `pulumi preview` shows it: `aws:s3:Bucket`. */
export const displayType = (type: string) => type.replace(/^([^:]+):([^/:]+)\/[^:]+:/, "$1:$2:");

/** The tree, one resource a line (type, name, options) with its properties below it. */
export function formatPlan(run: ProgramRun): string[] {
    const ref = referenceResolver(run.resources);
    const children = new Map<string | undefined, DeclaredResource[]>();
    for (const resource of run.resources) {
        const siblings = children.get(resource.parent) ?? [];
        siblings.push(resource);
        children.set(resource.parent, siblings);
    }
    const depthOf = (r: DeclaredResource): number => {
        const parent = run.resources.find(p => resourceId(p) === r.parent);
        return parent ? depthOf(parent) + 1 : 0;
    };
    const width = Math.max(...run.resources.map(r => depthOf(r) * 3 + displayType(r.type).length)) + 2;
    const lines: string[] = [];
    const draw = (resource: DeclaredResource, indent: string, branch: string, below: string) => {
        const head = `${indent}${branch}${displayType(resource.type)}`;
        lines.push(`${head.padEnd(width)}${resource.name}${options(resource)}`);
        const kids = children.get(resourceId(resource)) ?? [];
        for (const property of DESCRIBE[resource.type]?.(resource.inputs, ref) ?? [])
            lines.push(`${indent}${below}${kids.length ? "│" : " "}     ${property}`);
        kids.forEach((kid, i) => {
            const last = i === kids.length - 1;
            draw(kid, indent + below, last ? "└─ " : "├─ ", last ? "   " : "│  ");
        });
    };
    for (const root of children.get(undefined) ?? []) draw(root, "", "", "");
    return lines;
}
