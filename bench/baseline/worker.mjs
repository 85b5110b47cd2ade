// The baseline of the bench harness's workerd section: a plain JavaScript Worker that
// forwards a request to FABRIC_API_BASE and nothing else (no CORS, no checks). The Go
// Worker does much more per request; the ratio shows what the Go runtime costs on top.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.FABRIC_API_BASE + url.pathname + url.search, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
  },
};
