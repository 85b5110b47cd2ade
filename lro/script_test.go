package lro_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/lrotest"
)

const (
	base     = "https://api.fabric.microsoft.com"
	itemsURL = base + "/v1/workspaces/ws1/items"
	opURL    = base + "/v1/operations/op1"
	resURL   = base + "/v1/operations/op1/result"
	jobsURL  = base + "/v1/workspaces/ws1/items/it1/jobs/DefaultJob/instances"
	jobURL   = base + "/v1/workspaces/ws1/items/it1/jobs/instances/job1"
)

// h builds a Header from name, value pairs.
func h(kv ...string) lro.Header {
	out := lro.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Add(kv[i], kv[i+1])
	}
	return out
}

func accepted(loc, opID, retryAfter string) lrotest.Reply {
	hd := lro.Header{}
	if loc != "" {
		hd.Set("Location", loc)
	}
	if opID != "" {
		hd.Set("x-ms-operation-id", opID)
	}
	if retryAfter != "" {
		hd.Set("Retry-After", retryAfter)
	}
	return lrotest.Reply{Status: 202, Header: hd}
}

func state(status, loc, retryAfter string, extra ...string) lrotest.Reply {
	hd := lro.Header{}
	if loc != "" {
		hd.Set("Location", loc)
	}
	if retryAfter != "" {
		hd.Set("Retry-After", retryAfter)
	}
	body := `{"status":"` + status + `","createdTimeUtc":"2023-09-13T14:56:18.477Z","lastUpdatedTimeUtc":"2023-09-13T15:01:10.532Z","percentComplete":25` + strings.Join(extra, "") + `}`
	return lrotest.Reply{Status: 200, Header: hd, Body: body}
}

func job(status string, extra ...string) lrotest.Reply {
	return lrotest.Reply{Status: 200, Body: `{"id":"job1","itemId":"it1","jobType":"DefaultJob","invokeType":"Manual","status":"` + status + `","rootActivityId":"r1","startTimeUtc":"2023-04-22T06:35:00.78","endTimeUtc":null` + strings.Join(extra, "") + `,"newField":{"x":1}}`}
}

func fabricErr(status int, code string, kv ...string) lrotest.Reply {
	return lrotest.Reply{Status: status, Header: h(kv...), Body: `{"errorCode":"` + code + `","message":"m ` + code + `","requestId":"req-` + code + `"}`}
}

// script is one scripted conversation: the replies per "METHOD url".
type script map[string][]lrotest.Reply

func (s script) transport() *lrotest.Transport {
	t := lrotest.NewTransport()
	for k, rs := range s {
		method, u, _ := strings.Cut(k, " ")
		t.On(method, u, rs...)
	}
	return t
}

// log renders recorded requests as "METHOD url @offset", the offset from t0.
func log(t *lrotest.Transport, t0 time.Time) []string {
	var out []string
	for _, r := range t.Requests() {
		out = append(out, fmt.Sprintf("%s %s @%s", r.Method, r.URL, r.At.Sub(t0)))
	}
	return out
}

// bubbleStart is when time starts in every testing/synctest bubble: midnight UTC, 2000-01-01,
// as the package documents. Tests compare durations from their own start (time.Now() first
// thing in the bubble); only a Retry-After written as an HTTP date needs the absolute time,
// and the tests that write one check that they start at bubbleStart.
var bubbleStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// httpDate is the HTTP date d after bubbleStart.
func httpDate(d time.Duration) string {
	return bubbleStart.Add(d).Format("Mon, 02 Jan 2006 15:04:05 GMT")
}

// tokens is a TokenSource that hands out tok-0, tok-1, ... on refresh and records calls.
type tokens struct {
	mu       sync.Mutex
	n        int
	refreshs int
}

func (s *tokens) Token(_ context.Context, refresh bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if refresh {
		s.n++
		s.refreshs++
	}
	return fmt.Sprintf("tok-%d", s.n), nil
}
