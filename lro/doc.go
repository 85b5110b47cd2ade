// Package lro polls Microsoft Fabric long-running operations and jobs correctly, one or thousands at a time.
//
// Fabric answers slow calls with 202 Accepted plus Location, x-ms-operation-id and Retry-After
// headers. A client then polls the operation state (GET /v1/operations/{id}) no sooner than
// Retry-After allows until the status is Succeeded or Failed, and fetches the result from
// .../result only when the final Location points there. Jobs (POST .../jobs/{jobType}/instances)
// follow the same start pattern but are polled at their job-instance URL (found in the item's
// job list when Location is the list form .../jobs/instances?jobType=X) and end as Completed,
// Failed, Cancelled or Deduped.
//
// The package is the one place where that protocol is implemented:
//
//   - [Client] sends requests through an injected [Transport] (adapters: lro/nethttp for
//     net/http, lro/jsfetch for the browser's fetch), adds the bearer token from a
//     [TokenSource] (refreshed once on 401 TokenExpired), waits out 429 Retry-After and pauses
//     every other request to the same host for as long (a per-host gate), and retries 5xx and
//     network errors a bounded number of times with exponential backoff and jitter.
//   - [Poller] watches one operation or job, in the shape of the Azure SDK's poller:
//     [Poller.Poll], [Poller.Done], [Poller.Result], [Poller.ResumeToken] and
//     [Poller.PollUntilDone]. Its state is a small JSON resume token; a token, a bare
//     operation id or a Location URL is enough to resume with [Client.Resume].
//   - [Scheduler] watches many operations at once with one shared request budget and publishes
//     a [Snapshot] on every change; it is what the browser dashboard builds on.
//
// Response bodies are read with gjson, so fields and statuses Fabric adds later never break
// decoding: an unknown status keeps the poller polling and is reported, never fatal. Time is
// package time's: tests run the engine in fake time with testing/synctest.
//
// The package imports neither net/http nor syscall/js, so it stays small in a WebAssembly build.
package lro
