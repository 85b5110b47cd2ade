package lrotest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/lrotest"
)

func TestTransport(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t0 := time.Now()
		tr := lrotest.NewTransport().
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
		for i, tt := range tests {
			time.Sleep(time.Second) // the bubble's fake time: each request a second after the last
			resp, err := tr.Do(ctx, &lro.Request{Method: "GET", URL: tt.url})
			got := ""
			if err != nil {
				got = "error " + err.Error()
			} else {
				got = fmt.Sprint(resp.StatusCode, " ", string(resp.Body))
			}
			if got != tt.want {
				t.Errorf("request %d: GET %s = %q, want %q", i, tt.url, got, tt.want)
			}
		}
		if n := tr.Count("get", "https://x/a"); n != 3 {
			t.Errorf("Count = %d", n)
		}
		reqs := tr.Requests()
		if len(reqs) != 6 {
			t.Fatalf("Requests = %v", reqs)
		}
		for i, r := range reqs {
			if at := r.At.Sub(t0); at != time.Duration(i+1)*time.Second {
				t.Errorf("request %d recorded at +%v, want +%ds", i, at, i+1)
			}
		}
	})
}

// A scripted transport stands in for Fabric. (Tests run this in a testing/synctest bubble,
// where the wait for Retry-After takes no real time; an Example runs in real time, so this
// script asks for the shortest wait, one second.)
func Example() {
	fabric := lrotest.NewTransport().
		On("GET", "https://api.fabric.microsoft.com/v1/operations/op1",
			lrotest.Reply{Status: 200, Header: lro.Header{"Retry-After": {"1"}}, Body: `{"status":"Running"}`},
			lrotest.Reply{Status: 200, Body: `{"status":"Succeeded"}`})
	client := lro.NewClient(lro.Options{Transport: fabric})
	poller, _ := client.Resume("op1")
	_, err := poller.PollUntilDone(context.Background())
	reqs := fabric.Requests()
	fmt.Println(poller.Status(), err, len(reqs), "requests,", reqs[1].At.Sub(reqs[0].At) >= time.Second)
	// Output: Succeeded <nil> 2 requests, true
}
