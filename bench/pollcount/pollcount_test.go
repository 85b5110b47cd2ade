package pollcount_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/bench/pollcount"
	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/nethttp"
	"github.com/tidwall/gjson"
)

// TestRequestsPerOperation creates notebooks on the emulator, one after another, with the
// lro engine and with a fixed 1 s poller, for the demo timings and the spec's, and logs the
// requests per operation of each as a pollcount.Result. The engine must never send more than the
// minimum. The emulator and both clients run in a synctest bubble: the emulator's time is
// the bubble's fake clock and requests are served in-process, so the numbers are the
// protocol's, not the network's, and the run takes well under a second.
func TestRequestsPerOperation(t *testing.T) {
	const ops = 200
	timings := []struct {
		name                 string
		retryAfter, duration time.Duration
	}{
		{name: "demo (Retry-After 2s, 6s op)", retryAfter: 2 * time.Second, duration: 6 * time.Second},
		{name: "spec (Retry-After 20s, 60s op)", retryAfter: 20 * time.Second, duration: 60 * time.Second},
	}
	for _, tm := range timings {
		t.Run(tm.name, func(t *testing.T) {
			r := pollcount.Result{Timing: tm.name, Ops: ops, Minimum: 1 + int((tm.duration+tm.retryAfter-1)/tm.retryAfter) + 1}
			synctest.Test(t, func(t *testing.T) { r.Engine = pollWithEngine(t, ops, tm.retryAfter, tm.duration) })
			synctest.Test(t, func(t *testing.T) { r.Fixed = pollFixed(t, ops, tm.retryAfter, tm.duration, time.Second) })
			t.Log(r.Line())
			if r.Engine > float64(r.Minimum) {
				t.Errorf("the engine sent %.2f requests per operation, more than the minimum %d", r.Engine, r.Minimum)
			}
		})
	}
}

// inProcess serves requests straight from a handler, counting them: no sockets.
type inProcess struct {
	h http.Handler
	n atomic.Int64
}

func (t *inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// newEmulator is an emulator whose creates answer 202 and run for duration, polled with
// retryAfter; it reads the time from time.Now, the bubble's clock.
func newEmulator(retryAfter, duration time.Duration) *inProcess {
	return &inProcess{h: emulator.New(emulator.Config{
		RetryAfter: retryAfter, OperationDuration: duration, CreateMode: emulator.CreateAsync,
	})}
}

// pollWithEngine creates ops notebooks with the lro engine (Start, PollUntilDone) and
// returns the mean requests per operation.
func pollWithEngine(t *testing.T, ops int, retryAfter, duration time.Duration) float64 {
	emu := newEmulator(retryAfter, duration)
	client := lro.NewClient(lro.Options{
		Transport: nethttp.New(&http.Client{Transport: emu}),
		Token:     lro.StaticToken("bench"),
		BaseURL:   "http://emulator.test",
	})
	ctx := context.Background()
	for i := range ops {
		p, err := client.Start(ctx, &lro.Request{
			Method: "POST",
			URL:    "/v1/workspaces/" + emulator.DefaultWorkspaceID + "/notebooks",
			Header: lro.Header{"Content-Type": {"application/json"}},
			Body:   fmt.Appendf(nil, `{"displayName":"Notebook %d"}`, i),
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.PollUntilDone(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return float64(emu.n.Load()) / float64(ops)
}

// pollFixed is the loop from Microsoft's C# sample with a fixed interval instead of
// Retry-After: wait, GET the state, until Succeeded or Failed, then GET the result. It
// returns the mean requests per operation.
func pollFixed(t *testing.T, ops int, retryAfter, duration, every time.Duration) float64 {
	emu := newEmulator(retryAfter, duration)
	c := &http.Client{Transport: emu}
	do := func(method, url, body string) (*http.Response, []byte) {
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer bench")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	for i := range ops {
		resp, _ := do("POST", "http://emulator.test/v1/workspaces/"+emulator.DefaultWorkspaceID+"/notebooks",
			fmt.Sprintf(`{"displayName":"Notebook %d"}`, i))
		state := resp.Header.Get("Location")
		for {
			time.Sleep(every) // fake time: the bubble's clock moves on at once
			_, body := do("GET", state, "")
			if s := gjson.GetBytes(body, "status").String(); s == "Succeeded" || s == "Failed" {
				break
			}
		}
		do("GET", state+"/result", "")
	}
	return float64(emu.n.Load()) / float64(ops)
}
