package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/lrotest"
	"github.com/fabric-lro/fabric-lro/lro/nethttp"
	"github.com/tidwall/gjson"
)

// inProcess serves requests straight from a handler, counting them: no sockets, so the
// numbers are the protocol's, not the network's.
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

// benchPoll counts requests per operation for the lro engine and for a fixed-interval
// poller (the "poll every second" loop the digest says real clients wrote), both creating
// notebooks on the emulator with a fake clock, for the demo timings and the spec's.
func benchPoll() error {
	const ops = 200
	type timing struct {
		name                 string
		retryAfter, duration time.Duration
	}
	timings := []timing{
		{name: "demo (Retry-After 2s, 6s op)", retryAfter: 2 * time.Second, duration: 6 * time.Second},
		{name: "spec (Retry-After 20s, 60s op)", retryAfter: 20 * time.Second, duration: 60 * time.Second},
	}
	printf("%-32s %14s %14s %14s %8s\n", "timing", "minimum", "lro engine", "fixed 1s poll", "ratio")
	for _, tm := range timings {
		minimum := 1 + int((tm.duration+tm.retryAfter-1)/tm.retryAfter) + 1 // start, polls, result
		engine, err := pollWithEngine(ops, tm.retryAfter, tm.duration)
		if err != nil {
			return err
		}
		naive, err := pollFixed(ops, tm.retryAfter, tm.duration, time.Second)
		if err != nil {
			return err
		}
		printf("%-32s %14d %14.2f %14.2f %8.2f\n", tm.name, minimum, engine, naive, engine/naive)
		if engine > float64(minimum) {
			return fmt.Errorf("%s: the engine sent %.2f requests per operation, more than the minimum %d", tm.name, engine, minimum)
		}
	}
	fmt.Println("(requests per operation, mean over", ops, "asynchronous creates; ratio = engine / fixed poll)")
	return nil
}

func newEmulator(clock *lrotest.Clock, retryAfter, duration time.Duration) *inProcess {
	return &inProcess{h: emulator.New(emulator.Config{
		Now: clock.Now, RetryAfter: retryAfter, OperationDuration: duration, CreateMode: emulator.CreateAsync,
	})}
}

func createRequest(i int) *lro.Request {
	return &lro.Request{
		Method: "POST",
		URL:    "/v1/workspaces/" + emulator.DefaultWorkspaceID + "/notebooks",
		Header: lro.Header{"Content-Type": {"application/json"}},
		Body:   []byte(fmt.Sprintf(`{"displayName":"Notebook %d"}`, i)),
	}
}

func pollWithEngine(ops int, retryAfter, duration time.Duration) (float64, error) {
	clock := lrotest.NewAutoClock(lrotest.Epoch)
	emu := newEmulator(clock, retryAfter, duration)
	client := lro.NewClient(lro.Options{
		Transport: nethttp.New(&http.Client{Transport: emu}),
		Token:     lro.StaticToken("bench"),
		BaseURL:   "http://emulator.test",
		Clock:     clock,
	})
	ctx := context.Background()
	for i := 0; i < ops; i++ {
		p, err := client.Start(ctx, createRequest(i))
		if err != nil {
			return 0, err
		}
		if _, err := p.PollUntilDone(ctx); err != nil {
			return 0, err
		}
	}
	return float64(emu.n.Load()) / float64(ops), nil
}

// pollFixed is the loop from Microsoft's C# sample with a fixed interval instead of
// Retry-After: sleep, GET the state, until Succeeded or Failed, then GET the result.
func pollFixed(ops int, retryAfter, duration, every time.Duration) (float64, error) {
	clock := lrotest.NewClock(lrotest.Epoch)
	emu := newEmulator(clock, retryAfter, duration)
	c := &http.Client{Transport: emu}
	do := func(method, url, body string) (*http.Response, []byte, error) {
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Authorization", "Bearer bench")
		resp, err := c.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}
	for i := 0; i < ops; i++ {
		resp, _, err := do("POST", "http://emulator.test/v1/workspaces/"+emulator.DefaultWorkspaceID+"/notebooks",
			fmt.Sprintf(`{"displayName":"Notebook %d"}`, i))
		if err != nil {
			return 0, err
		}
		state := resp.Header.Get("Location")
		for {
			clock.Advance(every)
			_, body, err := do("GET", state, "")
			if err != nil {
				return 0, err
			}
			if s := gjson.GetBytes(body, "status").String(); s == "Succeeded" || s == "Failed" {
				break
			}
		}
		if _, _, err := do("GET", state+"/result", ""); err != nil {
			return 0, err
		}
	}
	return float64(emu.n.Load()) / float64(ops), nil
}
