package lrotest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/lrotest"
)

func TestClock(t *testing.T) {
	c := lrotest.NewClock(lrotest.Epoch)
	t1 := c.NewTimer(10 * time.Second)
	t2 := c.NewTimer(5 * time.Second)
	t3 := c.NewTimer(20 * time.Second)
	t0 := c.NewTimer(0)
	fired := func(tm lro.Timer) bool {
		select {
		case <-tm.C():
			return true
		default:
			return false
		}
	}
	tests := []struct {
		name    string
		advance time.Duration
		want    [3]bool // t1, t2, t3 fire now
		pending int
	}{
		{name: "nothing before its time", advance: 4 * time.Second, want: [3]bool{false, false, false}, pending: 3},
		{name: "the earliest fires", advance: time.Second, want: [3]bool{false, true, false}, pending: 2},
		{name: "then the next", advance: 5 * time.Second, want: [3]bool{true, false, false}, pending: 1},
	}
	if !fired(t0) {
		t.Errorf("a zero timer must fire at once")
	}
	for _, tt := range tests {
		c.Advance(tt.advance)
		got := [3]bool{fired(t1), fired(t2), fired(t3)}
		if got != tt.want || c.Pending() != tt.pending {
			t.Errorf("%s: fired %v pending %d, want %v %d", tt.name, got, c.Pending(), tt.want, tt.pending)
		}
	}
	if next, ok := c.Next(); !ok || !next.Equal(lrotest.Epoch.Add(20*time.Second)) {
		t.Errorf("Next = %v %v", next, ok)
	}
	if !t3.Stop() || t3.Stop() || c.Pending() != 0 {
		t.Errorf("Stop of a pending timer must report true once")
	}
	c.Set(lrotest.Epoch) // never backwards
	if !c.Now().Equal(lrotest.Epoch.Add(10 * time.Second)) {
		t.Errorf("Set moved the clock backwards to %v", c.Now())
	}
}

func TestAutoClockAndWaitForTimers(t *testing.T) {
	a := lrotest.NewAutoClock(lrotest.Epoch)
	<-a.NewTimer(time.Hour).C() // an auto clock moves to the timer at once
	if !a.Now().Equal(lrotest.Epoch.Add(time.Hour)) {
		t.Errorf("auto clock at %v after a timer of an hour", a.Now())
	}
	m := lrotest.NewClock(lrotest.Epoch)
	done := make(chan error, 1)
	go func() { <-m.NewTimer(time.Minute).C(); done <- nil }()
	if err := m.WaitForTimers(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	m.Advance(time.Minute)
	if err := <-done; err != nil {
		t.Errorf("timer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.WaitForTimers(ctx, 5); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitForTimers with a cancelled context: %v", err)
	}
}

func TestTransport(t *testing.T) {
	c := lrotest.NewClock(lrotest.Epoch)
	tr := lrotest.NewTransport(c).
		On("GET", "https://x/a", lrotest.Reply{Status: 200, Body: "1"}, lrotest.Reply{Status: 200, Body: "2"}).
		On("GET", "https://x/b", lrotest.Reply{Err: errors.New("down")}).
		Handle("GET", "https://x/c", func(r *lro.Request) (*lro.Response, error) {
			return &lro.Response{StatusCode: 201, Body: []byte(r.Method)}, nil
		})
	ctx := context.Background()
	tests := []struct {
		url, want string
	}{
		{url: "https://x/a", want: "200 1"},
		{url: "https://x/a", want: "200 2"},
		{url: "https://x/a", want: "200 2"}, // the last reply repeats
		{url: "https://x/b", want: "error down"},
		{url: "https://x/c", want: "201 GET"},
		{url: "https://x/d", want: `404 {"errorCode":"NotScripted","message":"no scripted reply for GET https://x/d"}`},
	}
	for _, tt := range tests {
		resp, err := tr.Do(ctx, &lro.Request{Method: "GET", URL: tt.url})
		got := ""
		if err != nil {
			got = "error " + err.Error()
		} else {
			got = fmt.Sprint(resp.StatusCode, " ", string(resp.Body))
		}
		if got != tt.want {
			t.Errorf("GET %s = %q, want %q", tt.url, got, tt.want)
		}
	}
	if n := tr.Count("get", "https://x/a"); n != 3 {
		t.Errorf("Count = %d", n)
	}
	if reqs := tr.Requests(); len(reqs) != 6 || !reqs[0].At.Equal(lrotest.Epoch) {
		t.Errorf("Requests = %v", reqs)
	}
}

// A fake clock and a scripted transport drive a poller without sleeping.
func Example() {
	clock := lrotest.NewAutoClock(lrotest.Epoch)
	fabric := lrotest.NewTransport(clock).
		On("GET", "https://api.fabric.microsoft.com/v1/operations/op1",
			lrotest.Reply{Status: 200, Header: lro.Header{"Retry-After": {"30"}}, Body: `{"status":"Running"}`},
			lrotest.Reply{Status: 200, Body: `{"status":"Succeeded"}`})
	client := lro.NewClient(lro.Options{Transport: fabric, Clock: clock})
	poller, _ := client.Resume("op1")
	_, err := poller.PollUntilDone(context.Background())
	fmt.Println(poller.Status(), err, clock.Now().Sub(lrotest.Epoch))
	// Output: Succeeded <nil> 30s
}
