// Package lro polls Microsoft Fabric long-running operations and jobs correctly, one or thousands at a time.
//
// A program needs few of its names: [NewClient] with [Options] (a [Transport] and a
// [TokenSource]); [Client.Start] to begin a call, or [Client.Resume] to pick one up; the
// [Poller] they return ([Poller.PollUntilDone], [Poller.ResumeToken]); a [Scheduler] to watch
// many at once, publishing a [Snapshot] on every change; and [Error], whose [Code] a caller
// branches on with errors.Is. The rest is for plugging in a transport or a token source
// ([Request], [Response], [Header], [TransportFunc], [TokenFunc], [StaticToken]) or reading
// snapshots ([Waiting], [SnapshotError], the Status, Wait and Warn constants).
//
// Create a notebook and wait for it:
//
//	package main
//
//	import (
//		"context"
//		"errors"
//		"fmt"
//		"os"
//
//		"github.com/fabric-lro/fabric-lro/lro"
//		"github.com/fabric-lro/fabric-lro/lro/nethttp"
//	)
//
//	func main() {
//		client := lro.NewClient(lro.Options{
//			Transport: nethttp.New(nil),                           // lro/jsfetch in a browser
//			Token:     lro.StaticToken(os.Getenv("FABRIC_TOKEN")), // or any lro.TokenSource
//		})
//		ctx := context.Background()
//		poller, err := client.Start(ctx, &lro.Request{
//			Method: "POST",
//			URL:    "/v1/workspaces/" + os.Getenv("FABRIC_WORKSPACE") + "/items",
//			Body:   []byte(`{"displayName":"Notebook 1","type":"Notebook"}`),
//		})
//		var item []byte
//		if err == nil {
//			item, err = poller.PollUntilDone(ctx) // polls no sooner than Retry-After allows
//		}
//		var e *lro.Error
//		switch {
//		case errors.As(err, &e): // e.ErrorCode is Fabric's, or one of the Code constants
//			fmt.Println("failed:", e.ErrorCode, e.Message, e.RequestID)
//		case err != nil:
//			fmt.Println("failed:", err)
//		default:
//			fmt.Printf("created %s\n", item)
//		}
//	}
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
//   - [Client] sends requests through the [Transport] (adapters: lro/nethttp for net/http,
//     lro/jsfetch for the browser's fetch), adds the bearer token from the [TokenSource]
//     (refreshed once on 401 TokenExpired), waits out 429 Retry-After and pauses every other
//     request to the same host for as long (a per-host gate), and retries 5xx and network
//     errors a bounded number of times with exponential backoff and jitter.
//   - [Poller] watches one operation or job, in the shape of the Azure SDK's poller. Its state
//     is a small JSON resume token; a token, a bare operation id or a Location URL is enough to
//     resume with [Client.Resume].
//   - [Scheduler] watches many operations at once with one shared request budget; it is what
//     the browser dashboard builds on.
//
// Response bodies are read with gjson, so fields and statuses Fabric adds later never break
// decoding: an unknown status keeps the poller polling and is reported, never fatal. Errors
// state facts (what failed, Fabric's errorCode, message and requestId); the words a person
// reads are the caller's. Time is package time's: tests run the engine in fake time with
// testing/synctest and the scripted transport of lro/lrotest.
//
// The package imports neither net/http nor syscall/js, so it stays small in a WebAssembly build.
package lro
