/**
 * Serves a live report on this machine only: bound to 127.0.0.1, it answers only requests whose
 * Host header names it (127.0.0.1:PORT or localhost:PORT), so that a web page elsewhere cannot
 * reach it through a rebinding DNS name; it has no write endpoint (GET and HEAD only), and its
 * page may load nothing from elsewhere (Content-Security-Policy).
 *
 *   GET /            the page, with the state it starts from
 *   GET /state.json  the run's counts and timeline, and which version of the candles is current
 *   GET /report.json the candles, last prices and rejected records
 */
import * as http from "http";
import type { AddressInfo } from "net";

/** What the server serves, read at each request. */
export interface LiveContent {
    html(): string;
    state(): unknown;
    report(): unknown;
}

export interface LiveServer {
    /** http://127.0.0.1:PORT/ */
    url: string;
    port: number;
    close(): Promise<void>;
}

const HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy":
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** The Host header a request to this server may carry. */
function allowedHosts(port: number): Set<string> {
    return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

function send(response: http.ServerResponse, status: number, type: string, body: string, head: boolean): void {
    response.writeHead(status, { ...HEADERS, "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
    response.end(head ? undefined : body);
}

/** Starts serving on 127.0.0.1:`port` (0: any free port). A port in use is an Error with code EADDRINUSE. */
export async function startLiveServer(content: LiveContent, port = 0): Promise<LiveServer> {
    let hosts = allowedHosts(port);
    const server = http.createServer((request, response) => {
        const head = request.method === "HEAD";
        if (!hosts.has(request.headers.host ?? "")) {
            return send(
                response,
                421,
                "text/plain; charset=utf-8",
                "This server answers only for its own address.\n",
                head,
            );
        }
        if (request.method !== "GET" && !head) {
            response.setHeader("Allow", "GET, HEAD");
            return send(response, 405, "text/plain; charset=utf-8", "Read only: GET and HEAD.\n", false);
        }
        const route = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
        try {
            if (route === "/" || route === "/index.html")
                return send(response, 200, "text/html; charset=utf-8", content.html(), head);
            if (route === "/state.json")
                return send(response, 200, "application/json", JSON.stringify(content.state()), head);
            if (route === "/report.json")
                return send(response, 200, "application/json", JSON.stringify(content.report()), head);
            return send(response, 404, "text/plain; charset=utf-8", "Not found.\n", head);
        } catch (error) {
            return send(response, 500, "text/plain; charset=utf-8", `${(error as Error).message}\n`, head);
        }
    });
    server.keepAliveTimeout = 2000;
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => {
            server.off("error", reject);
            resolve();
        });
    });
    const bound = (server.address() as AddressInfo).port;
    hosts = allowedHosts(bound);
    return {
        url: `http://127.0.0.1:${bound}/`,
        port: bound,
        close: () =>
            new Promise<void>(resolve => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}
