package lro_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/lrotest"
)

// The examples run in real time (tests run the engine in fake time with testing/synctest,
// which examples cannot use), so their scripted Fabric asks for the shortest wait the engine
// honours, Retry-After: 1, where Fabric's own operations ask for 20 s or more.

// fabricScript is a scripted Fabric: creating a notebook answers 202, its operation runs for
// one poll and then succeeds with a result. Real programs use lro/nethttp or lro/jsfetch.
func fabricScript() *lrotest.Transport {
	t := lrotest.NewTransport()
	op := "https://api.fabric.microsoft.com/v1/operations/0acd697c-1550-43cd-b998-91bfbfbd47c6"
	t.On("POST", "https://api.fabric.microsoft.com/v1/workspaces/ws1/items",
		lrotest.Reply{Status: 202, Header: lro.Header{"Location": {op}, "x-ms-operation-id": {"0acd697c-1550-43cd-b998-91bfbfbd47c6"}, "Retry-After": {"1"}}})
	t.On("GET", op,
		lrotest.Reply{Status: 200, Header: lro.Header{"Location": {op}, "Retry-After": {"1"}}, Body: `{"status":"Running","percentComplete":50}`},
		lrotest.Reply{Status: 200, Header: lro.Header{"Location": {op + "/result"}}, Body: `{"status":"Succeeded","percentComplete":100}`})
	t.On("GET", op+"/result", lrotest.Reply{Status: 200, Body: `{"id":"5b218778","type":"Notebook","displayName":"Notebook 1"}`})
	return t
}

// Create an item and wait for it: Start sends the call, PollUntilDone polls as Retry-After
// allows and fetches the result once, at once.
func Example_createAndWait() {
	transport := fabricScript()
	client := lro.NewClient(lro.Options{Transport: transport, Token: lro.StaticToken("dev-token")})

	ctx := context.Background()
	start := time.Now()
	poller, err := client.Start(ctx, &lro.Request{
		Method: "POST",
		URL:    "/v1/workspaces/ws1/items",
		Body:   []byte(`{"displayName":"Notebook 1","type":"Notebook"}`),
	})
	if err != nil {
		fmt.Println("start:", err)
		return
	}
	result, err := poller.PollUntilDone(ctx)
	if err != nil {
		fmt.Println("failed:", err)
		return
	}
	fmt.Println(string(result))
	last := start
	for _, r := range transport.Requests() {
		fmt.Printf("+%v %s %s\n", r.At.Sub(last).Truncate(time.Second), r.Method, r.URL) // the wait before each request
		last = r.At
	}
	// Output:
	// {"id":"5b218778","type":"Notebook","displayName":"Notebook 1"}
	// +0s POST https://api.fabric.microsoft.com/v1/workspaces/ws1/items
	// +1s GET https://api.fabric.microsoft.com/v1/operations/0acd697c-1550-43cd-b998-91bfbfbd47c6
	// +1s GET https://api.fabric.microsoft.com/v1/operations/0acd697c-1550-43cd-b998-91bfbfbd47c6
	// +0s GET https://api.fabric.microsoft.com/v1/operations/0acd697c-1550-43cd-b998-91bfbfbd47c6/result
}

// Resume from a token: save ResumeToken anywhere (a file, localStorage), and later, in another
// process, continue exactly where the poller stood. A bare operation id or a Location URL
// works too.
func Example_resumeFromToken() {
	transport := fabricScript()
	ctx := context.Background()

	first := lro.NewClient(lro.Options{Transport: transport})
	poller, err := first.Start(ctx, &lro.Request{Method: "POST", URL: "/v1/workspaces/ws1/items", Body: []byte(`{"displayName":"Notebook 1","type":"Notebook"}`)})
	if err != nil {
		fmt.Println(err)
		return
	}
	token, _ := poller.ResumeToken() // small JSON
	var fields map[string]any
	_ = json.Unmarshal([]byte(token), &fields)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Println(keys)

	// ... later, elsewhere:
	second := lro.NewClient(lro.Options{Transport: transport})
	resumed, err := second.Resume(token)
	if err != nil {
		fmt.Println(err)
		return
	}
	result, err := resumed.PollUntilDone(ctx)
	fmt.Println(string(result), err, len(transport.Requests()), "requests")
	// Output:
	// [attempts id kind nextPollAt retryAfter url v]
	// {"id":"5b218778","type":"Notebook","displayName":"Notebook 1"} <nil> 4 requests
}

// Watch many: a Scheduler polls every call at its due time within one shared request budget
// and publishes a Snapshot (the dashboard's JSON) on every change.
func ExampleScheduler() {
	transport := fabricScript()
	transport.On("GET", "https://api.fabric.microsoft.com/v1/workspaces/ws1/items/it1/jobs/instances/j1",
		lrotest.Reply{Status: 200, Header: lro.Header{"Retry-After": {"1"}}, Body: `{"id":"j1","status":"InProgress"}`},
		lrotest.Reply{Status: 200, Body: `{"id":"j1","status":"Deduped"}`})
	client := lro.NewClient(lro.Options{Transport: transport})
	sched := lro.NewScheduler(client, lro.SchedulerOptions{RequestsPerSecond: 10})

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sched.Run(ctx); close(done) }()
	defer func() { stop(); <-done }()

	var updates atomic.Int32
	unsubscribe := sched.Subscribe(func(s lro.Snapshot) { updates.Add(1) }) // for example, render s
	defer unsubscribe()

	created, err := sched.Add(ctx, &lro.Request{Method: "POST", URL: "/v1/workspaces/ws1/items", Body: []byte(`{"displayName":"Notebook 1","type":"Notebook"}`)}, "create Notebook 1")
	if err != nil {
		fmt.Println(err)
		return
	}
	job, _ := sched.Track("https://api.fabric.microsoft.com/v1/workspaces/ws1/items/it1/jobs/instances/j1", "nightly job")
	for _, id := range []string{created.ID, job.ID} {
		if _, err := sched.Wait(ctx, id); err != nil {
			fmt.Println(id, "ended with", err)
		}
	}
	all := sched.Snapshots()
	sort.Slice(all, func(i, j int) bool { return all[i].Label < all[j].Label })
	for _, s := range all {
		fmt.Printf("%s: %s %s, %d requests\n", s.Label, s.Kind, s.Status, s.Attempts)
		if s.Result != nil {
			fmt.Printf("  result %s\n", s.Result)
		}
	}
	fmt.Println(updates.Load() > 0)
	// Output:
	// j1 ended with fabric: 200 JobDeduped: the job was skipped: the same job was already running
	// create Notebook 1: operation Succeeded, 4 requests
	//   result {"id":"5b218778","type":"Notebook","displayName":"Notebook 1"}
	// nightly job: job Deduped, 2 requests
	// true
}

// Why a call waits: its snapshot's Waiting says why the next check is when it is: a 429
// (throttled, for Fabric's Retry-After), a 5xx (retrying, attempt n of m), or simply the wait
// Fabric asked for.
func ExampleWaiting() {
	transport := lrotest.NewTransport()
	op := "https://api.fabric.microsoft.com/v1/operations/op1"
	transport.On("GET", op,
		lrotest.Reply{Status: 429, Header: lro.Header{"Retry-After": {"1"}}, Body: `{"errorCode":"RequestBlocked","message":"Too many requests"}`},
		lrotest.Reply{Status: 503, Body: `{"errorCode":"ServiceUnavailable","message":"Try again later"}`},
		lrotest.Reply{Status: 200, Header: lro.Header{"Retry-After": {"20"}}, Body: `{"status":"Running"}`})
	client := lro.NewClient(lro.Options{Transport: transport, Rand: func() float64 { return 0 }})
	poller, err := client.Resume(op)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	for range 3 {
		time.Sleep(time.Until(poller.NextPollAt())) // PollUntilDone waits so
		_ = poller.Poll(ctx)                        // the 429 and the 503 are retryable
		w := poller.Snapshot().Waiting
		fmt.Printf("%s for %gs", w.Reason, w.Seconds)
		if w.Error != nil {
			fmt.Printf(", after %s", w.Error.ErrorCode)
		}
		if w.Of > 0 {
			fmt.Printf(", retry %d of %d", w.Attempt, w.Of)
		}
		fmt.Println()
	}
	// Output:
	// throttled for 1s, after RequestBlocked
	// retrying for 0.5s, after ServiceUnavailable, retry 1 of 4
	// retryAfter for 20s
}
