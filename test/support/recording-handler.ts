/**
 * An AWS SDK request handler that keeps each signed request as the sink would receive it, with no
 * socket: unit tests read the exact method, URL, headers and body the client signed.
 */
import type { ReceivedRequest } from "../../harness/sink/request-check";

/** The SDK's HttpRequest, as much of it as a test needs. */
type SignedRequest = {
    method: string;
    path: string;
    query: Record<string, string>;
    headers: Record<string, string>;
    body?: string | Uint8Array;
};

export type Answer = { statusCode: number; headers: Record<string, string>; body: Uint8Array };

function received(request: SignedRequest): ReceivedRequest {
    const query = new URLSearchParams(request.query).toString();
    const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]),
    );
    // Copied byte by byte: Buffer.from(object) calls valueOf, which the SDK's JSON body (a
    // Uint8Array that also answers string methods) warns about.
    const body =
        typeof request.body === "string" ? Buffer.from(request.body) : Buffer.from(new Uint8Array(request.body ?? []));
    return { method: request.method, url: request.path + (query ? `?${query}` : ""), headers, body };
}

/**
 * Keeps every request in `sent` and answers it with `answer()`; without `answer`, fails the call
 * once the request is kept (for tests that only look at what was signed).
 */
export function recordingHandler(answer?: () => Answer): { sent: ReceivedRequest[]; requestHandler: never } {
    const sent: ReceivedRequest[] = [];
    const handle = async (request: SignedRequest) => {
        sent.push(received(request));
        if (!answer) throw new Error("captured");
        return { response: answer() };
    };
    return { sent, requestHandler: { handle } as never };
}
