package lro_test

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/lrotest"
)

// fabricScript is a scripted Fabric: creating a notebook answers 202, its operation runs for
// one poll and then succeeds with a result. Real programs use lro/nethttp or lro/jsfetch.
func fabricScript(clock lro.Clock) *lrotest.Transport {
	t := lrotest.NewTransport(clock)
	op := "https://api.fabric.microsoft.com/v1/operations/0acd697c-1550-43cd-b998-91bfbfbd47c6"
	t.On("POST", "https://api.fabric.microsoft.com/v1/workspaces/ws1/items",
		lrotest.Reply{Status: 202, Header: lro.Header{"Location": {op}, "x-ms-operation-id": {"0acd697c-1550-43cd-b998-91bfbfbd47c6"}, "Retry-After": {"20"}}})
	t.On("GET", op,
		lrotest.Reply{Status: 200, Header: lro.Header{"Location": {op}, "Retry-After": {"20"}}, Body: `{"status":"Running","percentComplete":50}`},
		lrotest.Reply{Status: 200, Header: lro.Header{"Location": {op + "/result"}}, Body: `{"status":"Succeeded","percentComplete":100}`})
	t.On("GET", op+"/result", lrotest.Reply{Status: 200, Body: `{"id":"5b218778","type":"Notebook","displayName":"Notebook 1"}`})
	return t
}

// Create an item and wait for it: Start sends the call, PollUntilDone polls as Retry-After
// allows and fetches the result once.
func Example_createAndWait() {
	clock := lrotest.NewAutoClock(lrotest.Epoch) // a real program leaves Clock nil
	transport := fabricScript(clock)
	client := lro.NewClient(lro.Options{Transport: transport, Token: lro.StaticToken("dev-token"), Clock: clock})

	ctx := context.Background()
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
	for _, r := range transport.Requests() {
		fmt.Println(r.At.Sub(lrotest.Epoch), r.Method, r.URL)
	}
	// Output:
	// {"id":"5b218778","type":"Notebook","displayName":"Notebook 1"}
	// 0s POST https://api.fabric.microsoft.com/v1/workspaces/ws1/items
	// 20s GET https://api.fabric.microsoft.com/v1/operations/0acd697c-1550-43cd-b998-91bfbfbd47c6
	// 40s GET https://api.fabric.microsoft.com/v1/operations/0acd697c-1550-43cd-b998-91bfbfbd47c6
	// 40s GET https://api.fabric.microsoft.com/v1/operations/0acd697c-1550-43cd-b998-91bfbfbd47c6/result
}

// Resume from a token: save ResumeToken anywhere (a file, localStorage), and later, in another
// process, continue exactly where the poller stood. A bare operation id or a Location URL
// works too.
func Example_resumeFromToken() {
	clock := lrotest.NewAutoClock(lrotest.Epoch)
	transport := fabricScript(clock)
	ctx := context.Background()

	first := lro.NewClient(lro.Options{Transport: transport, Clock: clock})
	poller, err := first.Start(ctx, &lro.Request{Method: "POST", URL: "/v1/workspaces/ws1/items", Body: []byte(`{"displayName":"Notebook 1","type":"Notebook"}`)})
	if err != nil {
		fmt.Println(err)
		return
	}
	token, _ := poller.ResumeToken()
	fmt.Println(token)

	// ... later, elsewhere:
	second := lro.NewClient(lro.Options{Transport: transport, Clock: clock})
	resumed, err := second.Resume(token)
	if err != nil {
		fmt.Println(err)
		return
	}
	result, err := resumed.PollUntilDone(ctx)
	fmt.Println(string(result), err, len(transport.Requests()), "requests")
	// Output:
	// {"v":"fabric-lro/1","kind":"operation","id":"0acd697c-1550-43cd-b998-91bfbfbd47c6","url":"https://api.fabric.microsoft.com/v1/operations/0acd697c-1550-43cd-b998-91bfbfbd47c6","nextPollAt":"2024-01-02T03:04:25Z","retryAfter":20,"attempts":1}
	// {"id":"5b218778","type":"Notebook","displayName":"Notebook 1"} <nil> 4 requests
}

// Watch many: a Scheduler polls every call at its due time within one shared request budget
// and publishes a Snapshot (the dashboard's JSON) on every change.
func ExampleScheduler() {
	clock := lrotest.NewAutoClock(lrotest.Epoch)
	transport := fabricScript(clock)
	transport.On("GET", "https://api.fabric.microsoft.com/v1/workspaces/ws1/items/it1/jobs/instances/j1",
		lrotest.Reply{Status: 200, Body: `{"id":"j1","status":"InProgress"}`},
		lrotest.Reply{Status: 200, Body: `{"id":"j1","status":"Deduped"}`})
	client := lro.NewClient(lro.Options{Transport: transport, Clock: clock})
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
	// j1 ended with fabric: 200 JobDeduped: the job was skipped because the same job was already running; watch that run instead
	// create Notebook 1: operation Succeeded, 4 requests
	//   result {"id":"5b218778","type":"Notebook","displayName":"Notebook 1"}
	// nightly job: job Deduped, 2 requests
	// true
}

// Why a call waits: its snapshot's Waiting says why the next check is when it is: a 429
// (throttled, for Fabric's Retry-After), a 5xx (retrying, attempt n of m), or simply the wait
// Fabric asked for.
func ExampleWaiting() {
	clock := lrotest.NewAutoClock(lrotest.Epoch)
	transport := lrotest.NewTransport(clock)
	op := "https://api.fabric.microsoft.com/v1/operations/op1"
	transport.On("GET", op,
		lrotest.Reply{Status: 429, Header: lro.Header{"Retry-After": {"45"}}, Body: `{"errorCode":"RequestBlocked","message":"Too many requests"}`},
		lrotest.Reply{Status: 503, Body: `{"errorCode":"ServiceUnavailable","message":"Try again later"}`},
		lrotest.Reply{Status: 200, Header: lro.Header{"Retry-After": {"20"}}, Body: `{"status":"Running"}`})
	client := lro.NewClient(lro.Options{Transport: transport, Clock: clock, Rand: func() float64 { return 0 }})
	poller, err := client.Resume(op)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	for range 3 {
		clock.Set(poller.NextPollAt()) // a real program waits until then
		_ = poller.Poll(ctx)           // the 429 and the 503 are retryable
		w := poller.Snapshot().Waiting
		fmt.Printf("%s until +%s, %gs", w.Reason, w.Until.Sub(lrotest.Epoch), w.Seconds)
		if w.Error != nil {
			fmt.Printf(", after %s", w.Error.ErrorCode)
		}
		if w.Of > 0 {
			fmt.Printf(", retry %d of %d", w.Attempt, w.Of)
		}
		fmt.Println()
	}
	// Output:
	// throttled until +45s, 45s, after RequestBlocked
	// retrying until +45.5s, 0.5s, after ServiceUnavailable, retry 1 of 4
	// retryAfter until +1m5.5s, 20s
}
