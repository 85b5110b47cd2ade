package lro_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
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

// pollCase is one case of TestPollUntilDone: a call started and polled to its end against a
// script, in a synctest bubble.
type pollCase struct {
	name       string
	start      *lro.Request // default: a POST of a notebook to itemsURL
	opts       lro.Options
	script     script
	wantLog    []string
	wantResult string
	wantCode   string // errorCode of the *Error, "" for success
	wantIs     error
	wantErr    func(t *testing.T, e *lro.Error)
	wantWarn   []string
}

func TestPollUntilDone(t *testing.T) {
	tests := []pollCase{
		{
			name:       "201 is done, body is the result",
			script:     script{"POST " + itemsURL: {{Status: 201, Body: `{"id":"i1","displayName":"N1"}`}}},
			wantLog:    []string{"POST " + itemsURL + " @0s"},
			wantResult: `{"id":"i1","displayName":"N1"}`,
		},
		{
			name:    "200 with an empty body is done without result",
			script:  script{"POST " + itemsURL: {{Status: 200}}},
			wantLog: []string{"POST " + itemsURL + " @0s"},
		},
		{
			name: "202 Location: poll per Retry-After, then fetch the result once",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL:     {state("Running", opURL, "20"), state("Succeeded", resURL, "")},
				"GET " + resURL:    {{Status: 200, Body: `{"id":"i2"}`}},
			},
			wantLog:    []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s", "GET " + opURL + " @40s", "GET " + resURL + " @40s"},
			wantResult: `{"id":"i2"}`,
		},
		{
			name: "202 without Location: operation URL built from x-ms-operation-id and the base URL",
			script: script{
				"POST " + itemsURL: {accepted("", "op1", "30")},
				"GET " + opURL:     {state("Succeeded", "", "")},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @30s"},
		},
		{
			name: "Location without /v1 on a regional host is followed as given",
			script: script{
				"POST " + itemsURL: {accepted("https://wabi-west-europe-d-primary-redirect.analysis.windows.net/operations/op1", "op1", "20")},
				"GET https://wabi-west-europe-d-primary-redirect.analysis.windows.net/operations/op1":        {state("Succeeded", "https://wabi-west-europe-d-primary-redirect.analysis.windows.net/operations/op1/result", "")},
				"GET https://wabi-west-europe-d-primary-redirect.analysis.windows.net/operations/op1/result": {{Status: 200, Body: `"r"`}},
			},
			wantLog: []string{
				"POST " + itemsURL + " @0s",
				"GET https://wabi-west-europe-d-primary-redirect.analysis.windows.net/operations/op1 @20s",
				"GET https://wabi-west-europe-d-primary-redirect.analysis.windows.net/operations/op1/result @20s",
			},
			wantResult: `"r"`,
		},
		{
			name: "relative Location resolved against the request URL; state Location changes are followed",
			script: script{
				"POST " + itemsURL:      {accepted("/v1/operations/op1", "", "20")},
				"GET " + opURL:          {state("Running", base+"/v1/operations/op1?x=2", "20")},
				"GET " + opURL + "?x=2": {state("Succeeded", "/v1/operations/op1/result", "")},
				"GET " + resURL:         {{Status: 200, Body: `{}`}},
			},
			wantLog:    []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s", "GET " + opURL + "?x=2 @40s", "GET " + resURL + " @40s"},
			wantResult: `{}`,
		},
		{
			name: "Retry-After as an HTTP date",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", httpDate(45*time.Second))},
				"GET " + opURL:     {state("Succeeded", "", "")},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @45s"},
		},
		{
			name: "Retry-After 0 is floored to MinRetryAfter (default 1s): no tight poll loop",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "0")},
				"GET " + opURL:     {state("Running", opURL, "0"), state("Running", opURL, "0"), state("Succeeded", "", "")},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @1s", "GET " + opURL + " @2s", "GET " + opURL + " @3s"},
		},
		{
			name: "a negative Retry-After is malformed: the configured default",
			opts: lro.Options{DefaultRetryAfter: 7 * time.Second},
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "-5")},
				"GET " + opURL:     {state("Succeeded", "", "")},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @7s"},
		},
		{
			name: "a past HTTP date (client clock ahead of Fabric's) counts as now, then floored",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", httpDate(-time.Hour))},
				"GET " + opURL: {
					state("Running", opURL, httpDate(-time.Hour)),
					state("Succeeded", "", ""),
				},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @1s", "GET " + opURL + " @2s"},
		},
		{
			name: "a future HTTP date is honoured",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", httpDate(90*time.Second))},
				"GET " + opURL:     {state("Succeeded", "", "")},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @1m30s"},
		},
		{
			name: "a huge Retry-After is capped at MaxRetryAfter (default 10m)",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "99999999999999999999")},
				"GET " + opURL:     {state("Succeeded", "", "")},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @10m0s"},
		},
		{
			name: "a configured MinRetryAfter raises short Retry-Afters",
			opts: lro.Options{MinRetryAfter: 5 * time.Second},
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "2")},
				"GET " + opURL:     {state("Running", opURL, "30"), state("Succeeded", "", "")},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @5s", "GET " + opURL + " @35s"},
		},
		{
			name: "MinRetryAfter above MaxRetryAfter: the cap wins",
			opts: lro.Options{MinRetryAfter: time.Hour, MaxRetryAfter: time.Minute},
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "0")},
				"GET " + opURL:     {state("Succeeded", "", "")},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @1m0s"},
		},
		{
			name: "a negative MinRetryAfter disables the floor",
			opts: lro.Options{MinRetryAfter: -1},
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "0")},
				"GET " + opURL:     {state("Succeeded", "", "")},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @0s"},
		},
		{
			name: "429 with Retry-After 0 or a past date waits the floor, on a poll and on the start",
			script: script{
				"POST " + itemsURL: {fabricErr(429, "RequestBlocked", "Retry-After", "0"), accepted(opURL, "op1", "20")},
				"GET " + opURL: {
					fabricErr(429, "RequestBlocked", "Retry-After", httpDate(-time.Minute)),
					state("Succeeded", "", ""),
				},
			},
			wantLog:  []string{"POST " + itemsURL + " @0s", "POST " + itemsURL + " @1s", "GET " + opURL + " @21s", "GET " + opURL + " @22s"},
			wantWarn: []string{"Throttled", "Throttled"},
		},
		{
			name: "no Retry-After: the configured default",
			opts: lro.Options{DefaultRetryAfter: 7 * time.Second},
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "")},
				"GET " + opURL:     {state("Running", opURL, "garbage"), state("Succeeded", "", "")},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @7s", "GET " + opURL + " @14s"},
		},
		{
			name: "Retry-After above the cap is capped",
			opts: lro.Options{MaxRetryAfter: time.Minute},
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "3600")},
				"GET " + opURL:     {state("Succeeded", "", "")},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @1m0s"},
		},
		{
			name: "Succeeded without Location: done, no result, no /result call",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL:     {state("Succeeded", "", "")},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s"},
		},
		{
			name: "Failed: typed error with every ErrorResponse field",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL: {state("Failed", "", "", `,"error":{"errorCode":"ItemDisplayNameAlreadyInUse","message":"taken","requestId":"rq1",`+
					`"moreDetails":[{"errorCode":"D1","message":"d1","relatedResource":{"resourceId":"r1","resourceType":"Notebook"}}],`+
					`"relatedResource":{"resourceId":"r0","resourceType":"Workspace"},"unknown":true}`)},
			},
			wantLog:  []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s"},
			wantCode: "ItemDisplayNameAlreadyInUse",
			wantErr: func(t *testing.T, e *lro.Error) {
				want := &lro.Error{StatusCode: 200, ErrorCode: "ItemDisplayNameAlreadyInUse", Message: "taken", RequestID: "rq1", Status: "Failed",
					MoreDetails:     []lro.ErrorDetail{{ErrorCode: "D1", Message: "d1", RelatedResource: &lro.RelatedResource{ResourceID: "r1", ResourceType: "Notebook"}}},
					RelatedResource: &lro.RelatedResource{ResourceID: "r0", ResourceType: "Workspace"}}
				if !reflect.DeepEqual(e, want) {
					t.Errorf("error = %#v\nwant %#v", e, want)
				}
			},
		},
		{
			name: "Failed without an error object still gives a typed error",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL:     {state("Failed", "", "")},
			},
			wantLog:  []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s"},
			wantCode: "OperationFailed",
		},
		{
			name: "Undefined and unknown statuses keep polling and are reported; a body that is not JSON is asked for again after its Retry-After",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL: {
					state("Undefined", opURL, "20"),
					{Status: 200, Header: h("Retry-After", "20"), Body: `{"status":"Paused","percentComplete":null}`},
					{Status: 200, Header: h("Retry-After", "20"), Body: `not json at all`},
					state("Succeeded", "", ""),
				},
			},
			wantLog:  []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s", "GET " + opURL + " @40s", "GET " + opURL + " @1m0s", "GET " + opURL + " @1m20s"},
			wantWarn: []string{"UnknownStatus", "Retrying"},
		},
		{
			name: "a state that is not final never moves polling to its result Location",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL:     {state("Undefined", resURL, "20"), state("Succeeded", resURL, "")},
				"GET " + resURL:    {{Status: 200, Body: `{"id":"it1"}`}},
			},
			wantLog:    []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s", "GET " + opURL + " @40s", "GET " + resURL + " @40s"},
			wantResult: `{"id":"it1"}`,
		},
		{
			name: "OperationHasNoResult on /result is treated as done without result",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL:     {state("Succeeded", resURL, "")},
				"GET " + resURL:    {fabricErr(400, "OperationHasNoResult")},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s", "GET " + resURL + " @20s"},
		},
		{
			name:  "job Completed: instance URL kept, polled at the start's Retry-After, result is the job instance",
			start: &lro.Request{Method: "POST", URL: jobsURL},
			script: script{
				"POST " + jobsURL: {accepted(jobURL, "", "60")},
				"GET " + jobURL:   {job("NotStarted"), job("InProgress"), job("Completed")},
			},
			opts:       lro.Options{DefaultRetryAfter: 10 * time.Second},
			wantLog:    []string{"POST " + jobsURL + " @0s", "GET " + jobURL + " @1m0s", "GET " + jobURL + " @2m0s", "GET " + jobURL + " @3m0s"},
			wantResult: strings.TrimPrefix(job("Completed").Body, ""),
		},
		{
			name:  "job without any Retry-After: the configured default",
			start: &lro.Request{Method: "POST", URL: jobsURL},
			script: script{
				"POST " + jobsURL: {accepted(jobURL, "", "")},
				"GET " + jobURL:   {job("InProgress"), job("Completed")},
			},
			opts:       lro.Options{DefaultRetryAfter: 10 * time.Second},
			wantLog:    []string{"POST " + jobsURL + " @0s", "GET " + jobURL + " @10s", "GET " + jobURL + " @20s"},
			wantResult: job("Completed").Body,
		},
		{
			name:  "job Failed carries failureReason",
			start: &lro.Request{Method: "POST", URL: jobsURL},
			script: script{
				"POST " + jobsURL: {accepted(jobURL, "", "60")},
				"GET " + jobURL:   {job("Failed", `,"failureReason":{"errorCode":"NotebookExecutionFailed","message":"cell 3","requestId":"rq9"}`)},
			},
			wantLog:  []string{"POST " + jobsURL + " @0s", "GET " + jobURL + " @1m0s"},
			wantCode: "NotebookExecutionFailed",
		},
		{
			name:  "job Cancelled ends the wait",
			start: &lro.Request{Method: "POST", URL: jobsURL},
			script: script{
				"POST " + jobsURL: {accepted(jobURL, "", "60")},
				"GET " + jobURL:   {job("Cancelled")},
			},
			wantLog:  []string{"POST " + jobsURL + " @0s", "GET " + jobURL + " @1m0s"},
			wantCode: string(lro.CodeJobCancelled),
			wantIs:   lro.CodeJobCancelled,
		},
		{
			name:  "job Deduped ends the wait",
			start: &lro.Request{Method: "POST", URL: jobsURL},
			script: script{
				"POST " + jobsURL: {accepted(jobURL, "", "60")},
				"GET " + jobURL:   {job("Deduped")},
			},
			wantLog:  []string{"POST " + jobsURL + " @0s", "GET " + jobURL + " @1m0s"},
			wantCode: string(lro.CodeJobDeduped),
			wantIs:   lro.CodeJobDeduped,
		},
		{
			name: "429 on start: wait its Retry-After, then start again",
			script: script{
				"POST " + itemsURL: {fabricErr(429, "RequestBlocked", "Retry-After", "55"), {Status: 201, Body: `{"id":"i1"}`}},
			},
			wantLog:    []string{"POST " + itemsURL + " @0s", "POST " + itemsURL + " @55s"},
			wantResult: `{"id":"i1"}`,
			wantWarn:   []string{"Throttled"},
		},
		{
			name: "429 on a poll and on the result: each waits its Retry-After",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL:     {fabricErr(429, "RequestBlocked", "Retry-After", "55"), state("Succeeded", resURL, "")},
				"GET " + resURL:    {fabricErr(429, "RequestBlocked", "Retry-After", "5"), {Status: 200, Body: `1`}},
			},
			wantLog:    []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s", "GET " + opURL + " @1m15s", "GET " + resURL + " @1m15s", "GET " + resURL + " @1m20s"},
			wantResult: `1`,
			wantWarn:   []string{"Throttled", "Throttled"},
		},
		{
			name: "5xx and network errors: exponential backoff with jitter, then success",
			opts: lro.Options{Rand: func() float64 { return 0.5 }},
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL:     {fabricErr(503, "ServiceUnavailable"), {Err: errors.New("connection reset")}, fabricErr(500, "InternalError"), state("Succeeded", "", "")},
			},
			// backoff n: 1s*2^(n-1), jitter d/2 + 0.5*d/2 = 0.75d
			wantLog:  []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s", "GET " + opURL + " @20.75s", "GET " + opURL + " @22.25s", "GET " + opURL + " @25.25s"},
			wantWarn: []string{"Retrying", "Retrying", "Retrying"},
		},
		{
			name: "5xx with Retry-After waits at least that long",
			opts: lro.Options{Rand: func() float64 { return 0 }},
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL:     {fabricErr(503, "ServiceUnavailable", "Retry-After", "9"), state("Succeeded", "", "")},
			},
			wantLog:  []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s", "GET " + opURL + " @29s"},
			wantWarn: []string{"Retrying"},
		},
		{
			name: "5xx retries are bounded, then a clear error",
			opts: lro.Options{MaxRetries: 2, Rand: func() float64 { return 0 }},
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL:     {fabricErr(502, "BadGateway")},
			},
			wantLog:  []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s", "GET " + opURL + " @20.5s", "GET " + opURL + " @21.5s"},
			wantCode: string(lro.CodeRetriesExhausted),
			wantIs:   lro.CodeRetriesExhausted,
			wantWarn: []string{"Retrying", "Retrying"},
		},
		{
			name: "a 5xx answer to a POST start is not retried (it may have taken effect)",
			script: script{
				"POST " + itemsURL: {fabricErr(500, "InternalError"), {Status: 201}},
			},
			wantLog:  []string{"POST " + itemsURL + " @0s"},
			wantCode: string(lro.CodeStartNotRetried),
			wantIs:   lro.Code("InternalError"), // the failure it wraps
			wantErr:  wantNotRetried,
		},
		{
			name: "a network error on a POST start is not retried, and the error says so",
			script: script{
				"POST " + itemsURL: {{Err: errors.New("connection reset")}, {Status: 201}},
			},
			wantLog:  []string{"POST " + itemsURL + " @0s"},
			wantCode: string(lro.CodeStartNotRetried),
			wantIs:   lro.CodeNetworkError, // the failure it wraps
			wantErr:  wantNotRetried,
		},
		{
			name: "a 4xx answer to a poll is not retried",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL:     {fabricErr(404, "OperationNotFound"), state("Succeeded", "", "")},
			},
			wantLog:  []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s"},
			wantCode: "OperationNotFound",
		},
		{
			name: "a redirect on a poll is an error, not an unknown status",
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL:     {{Status: 302, Header: h("Location", "https://login.example/")}},
			},
			wantLog:  []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s"},
			wantCode: string(lro.CodeUnexpectedResponse),
		},
		{
			name:     "400 on start is returned with Fabric's error",
			script:   script{"POST " + itemsURL: {fabricErr(400, "InvalidItemType")}},
			wantLog:  []string{"POST " + itemsURL + " @0s"},
			wantCode: "InvalidItemType",
			wantErr: func(t *testing.T, e *lro.Error) {
				if e.StatusCode != 400 || e.RequestID != "req-InvalidItemType" || e.Message != "m InvalidItemType" {
					t.Errorf("error = %+v", e)
				}
			},
		},
		{
			name:     "202 with neither Location nor x-ms-operation-id is a clear error",
			script:   script{"POST " + itemsURL: {accepted("", "", "20")}},
			wantLog:  []string{"POST " + itemsURL + " @0s"},
			wantCode: string(lro.CodeUnexpectedResponse),
		},
		{
			name:     "a redirect to the start is reported, not followed",
			script:   script{"POST " + itemsURL: {{Status: 307, Header: h("Location", "https://elsewhere.example/")}}},
			wantLog:  []string{"POST " + itemsURL + " @0s"},
			wantCode: string(lro.CodeUnexpectedResponse),
		},
		{
			name: "overall deadline",
			opts: lro.Options{Timeout: 30 * time.Second},
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL:     {state("Running", opURL, "20")},
			},
			wantLog:  []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s"},
			wantCode: string(lro.CodeOperationDeadlineExceeded),
			wantIs:   lro.CodeOperationDeadlineExceeded,
		},
		{
			name: "stalled: a warning once, polling goes on; progress clears it",
			opts: lro.Options{StallAfter: 50 * time.Second},
			script: script{
				"POST " + itemsURL: {accepted(opURL, "op1", "20")},
				"GET " + opURL: {state("Running", opURL, "20"), state("Running", opURL, "20"), state("Running", opURL, "20"),
					state("Running", opURL, "20"), state("Succeeded", "", "")},
			},
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s", "GET " + opURL + " @40s", "GET " + opURL + " @1m0s",
				"GET " + opURL + " @1m20s", "GET " + opURL + " @1m40s"},
			wantWarn: []string{"Stalled"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, tt.run)
		})
	}
}

// run starts the case's call and polls it to its end; it runs in a synctest bubble.
func (tt pollCase) run(t *testing.T) {
	t0 := time.Now()
	if !t0.Equal(bubbleStart) {
		t.Fatalf("the bubble starts at %v, not %v: the HTTP-date cases are off", t0, bubbleStart)
	}
	tr := tt.script.transport()
	var warns []string
	opts := tt.opts
	opts.Transport = tr
	opts.OnWarning = func(w lro.Warning) { warns = append(warns, w.Code) }
	c := lro.NewClient(opts)
	req := tt.start
	if req == nil {
		req = &lro.Request{Method: "POST", URL: "/v1/workspaces/ws1/items", Body: []byte(`{"displayName":"N1","type":"Notebook"}`)}
	}
	ctx := context.Background()
	res, err := func() ([]byte, error) {
		p, err := c.Start(ctx, req)
		if err != nil {
			return nil, err
		}
		return p.PollUntilDone(ctx)
	}()
	if got := log(tr, t0); !reflect.DeepEqual(got, tt.wantLog) {
		t.Errorf("requests:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.wantLog, "\n  "))
	}
	if tt.wantCode == "" {
		if err != nil {
			t.Fatalf("err = %v", err)
		}
		if string(res) != tt.wantResult {
			t.Errorf("result = %q, want %q", res, tt.wantResult)
		}
	} else {
		var e *lro.Error
		if !errors.As(err, &e) {
			t.Fatalf("err = %v (%T), want *lro.Error %s", err, err, tt.wantCode)
		}
		if e.ErrorCode != tt.wantCode {
			t.Errorf("errorCode = %q, want %q (%v)", e.ErrorCode, tt.wantCode, e)
		}
		if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
			t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
		}
		if tt.wantErr != nil {
			tt.wantErr(t, e)
		}
	}
	if !reflect.DeepEqual(warns, tt.wantWarn) {
		t.Errorf("warnings = %q, want %q", warns, tt.wantWarn)
	}
}

// wantNotRetried checks the error of a POST start that failed with a 5xx or a network error:
// it must not claim a retry, must say the call was not retried because it may have taken
// effect, and must not invite an automatic retry; what a person should do about it is the
// caller's to say, keyed by CodeStartNotRetried.
func wantNotRetried(t *testing.T, e *lro.Error) {
	t.Helper()
	msg := e.Error()
	for _, want := range []string{"POST was not retried", "may have taken effect"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "is retried") || strings.Contains(msg, "retrying") {
		t.Errorf("error %q claims a retry", msg)
	}
	if lro.IsRetryable(e) {
		t.Errorf("IsRetryable(%v) = true for a POST that must not be repeated blindly", e)
	}
}

func TestTokenExpiredRefreshesOnce(t *testing.T) {
	tests := []struct {
		name     string
		polls    []lrotest.Reply
		wantAuth []string
		wantCode string
		wantRefr int
	}{
		{
			name:     "refresh once, retry, go on polling",
			polls:    []lrotest.Reply{fabricErr(401, "TokenExpired"), state("Running", opURL, "20"), state("Succeeded", "", "")},
			wantAuth: []string{"Bearer tok-0", "Bearer tok-0", "Bearer tok-1", "Bearer tok-1"},
			wantRefr: 1,
		},
		{
			name:     "expired by header code too",
			polls:    []lrotest.Reply{{Status: 401, Header: h("x-ms-public-api-error-code", "TokenExpired")}, state("Succeeded", "", "")},
			wantAuth: []string{"Bearer tok-0", "Bearer tok-0", "Bearer tok-1"},
			wantRefr: 1,
		},
		{
			name:     "a second 401 in the same call is an error",
			polls:    []lrotest.Reply{fabricErr(401, "TokenExpired"), fabricErr(401, "TokenExpired")},
			wantAuth: []string{"Bearer tok-0", "Bearer tok-0", "Bearer tok-1"},
			wantCode: "TokenExpired",
			wantRefr: 1,
		},
		{
			name:     "other 401s do not refresh",
			polls:    []lrotest.Reply{fabricErr(401, "InvalidToken")},
			wantAuth: []string{"Bearer tok-0", "Bearer tok-0"},
			wantCode: "InvalidToken",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tr := script{"POST " + itemsURL: {accepted(opURL, "op1", "20")}, "GET " + opURL: tt.polls}.transport()
				src := &tokens{}
				c := lro.NewClient(lro.Options{Transport: tr, Token: src})
				p, err := c.Start(context.Background(), &lro.Request{Method: "POST", URL: itemsURL})
				if err != nil {
					t.Fatal(err)
				}
				_, err = p.PollUntilDone(context.Background())
				var auth []string
				for _, r := range tr.Requests() {
					auth = append(auth, r.Header.Get("authorization"))
				}
				if !reflect.DeepEqual(auth, tt.wantAuth) {
					t.Errorf("Authorization = %q, want %q", auth, tt.wantAuth)
				}
				if src.refreshs != tt.wantRefr {
					t.Errorf("refreshes = %d, want %d", src.refreshs, tt.wantRefr)
				}
				var e *lro.Error
				switch {
				case tt.wantCode == "" && err != nil:
					t.Errorf("err = %v", err)
				case tt.wantCode != "" && (!errors.As(err, &e) || e.ErrorCode != tt.wantCode || e.StatusCode != 401):
					t.Errorf("err = %v, want 401 %s", err, tt.wantCode)
				}
			})
		})
	}
}

// TestRequestCountIsMinimal: an operation that takes 65 s, polled every 20 s as Retry-After
// says, costs exactly start + ceil(65/20) polls + one result fetch.
func TestRequestCountIsMinimal(t *testing.T) {
	tests := []struct {
		name      string
		duration  time.Duration
		retry     int
		hasResult bool
		want      int
	}{
		{name: "65s at 20s with result", duration: 65 * time.Second, retry: 20, hasResult: true, want: 1 + 4 + 1},
		{name: "60s at 20s with result", duration: 60 * time.Second, retry: 20, hasResult: true, want: 1 + 3 + 1},
		{name: "65s at 20s without result", duration: 65 * time.Second, retry: 20, want: 1 + 4},
		{name: "5m at 60s with result", duration: 5 * time.Minute, retry: 60, hasResult: true, want: 1 + 5 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				tr := lrotest.NewTransport()
				ra := fmt.Sprint(tt.retry)
				tr.On("POST", itemsURL, accepted(opURL, "op1", ra))
				var early []time.Duration
				tr.Handle("GET", opURL, func(*lro.Request) (*lro.Response, error) {
					el := time.Since(t0)
					r := state("Running", opURL, ra)
					if el >= tt.duration {
						loc := ""
						if tt.hasResult {
							loc = resURL
						}
						r = state("Succeeded", loc, "")
					}
					return &lro.Response{StatusCode: r.Status, Header: r.Header, Body: []byte(r.Body)}, nil
				})
				tr.On("GET", resURL, lrotest.Reply{Status: 200, Body: `{"id":"x"}`})
				c := lro.NewClient(lro.Options{Transport: tr})
				p, err := c.Start(context.Background(), &lro.Request{Method: "POST", URL: itemsURL})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := p.PollUntilDone(context.Background()); err != nil {
					t.Fatal(err)
				}
				reqs := tr.Requests()
				if len(reqs) != tt.want || p.Attempts() != tt.want {
					t.Errorf("requests = %d (Attempts %d), want %d:\n%s", len(reqs), p.Attempts(), tt.want, strings.Join(log(tr, t0), "\n"))
				}
				var last time.Time
				for i, r := range reqs {
					if r.URL == opURL && i > 0 && r.At.Sub(last) < time.Duration(tt.retry)*time.Second {
						early = append(early, r.At.Sub(last))
					}
					if r.URL != resURL {
						last = r.At
					}
				}
				if len(early) > 0 {
					t.Errorf("polled sooner than Retry-After: %v", early)
				}
			})
		})
	}
}

func TestFailedPollLeavesStateUnchanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := script{
			"POST " + itemsURL: {accepted(opURL, "op1", "20")},
			"GET " + opURL:     {state("Running", opURL, "20"), fabricErr(503, "ServiceUnavailable"), fabricErr(429, "RequestBlocked", "Retry-After", "30"), fabricErr(404, "NotFound")},
		}.transport()
		c := lro.NewClient(lro.Options{Transport: tr, Rand: func() float64 { return 0 }})
		ctx := context.Background()
		p, err := c.Start(ctx, &lro.Request{Method: "POST", URL: itemsURL})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		stateOf := func() map[string]any {
			tok, err := p.ResumeToken()
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(tok), &m); err != nil {
				t.Fatal(err)
			}
			delete(m, "nextPollAt") // bookkeeping: when and how often, not what
			delete(m, "attempts")
			return m
		}
		before := stateOf()
		wantNext := []time.Duration{500 * time.Millisecond, 30 * time.Second, 0}
		for i, wantRetryable := range []bool{true, true, false} {
			time.Sleep(time.Until(p.NextPollAt()))
			err := p.Poll(ctx)
			if err == nil || lro.IsRetryable(err) != wantRetryable {
				t.Fatalf("poll %d: err = %v, retryable want %v", i, err, wantRetryable)
			}
			if after := stateOf(); !reflect.DeepEqual(before, after) {
				t.Errorf("poll %d changed the state:\n%v\n%v", i, before, after)
			}
			if wantNext[i] > 0 {
				if got := time.Until(p.NextPollAt()); got != wantNext[i] {
					t.Errorf("poll %d: next poll in %v, want %v", i, got, wantNext[i])
				}
			}
			if p.Done() || p.Status() != "Running" {
				t.Errorf("poll %d: Done %v Status %q", i, p.Done(), p.Status())
			}
		}
		if _, err := p.Result(); !errors.Is(err, lro.CodeOperationNotDone) {
			t.Errorf("Result before done: %v, want CodeOperationNotDone", err)
		}
	})
}

// TestHostGate: a 429 on one operation pauses every other operation to that host (and no
// other host) for its Retry-After.
func TestHostGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const other = "https://wabi-north-europe-redirect.analysis.windows.net/v1/operations/op3"
		t0 := time.Now()
		tr := script{
			"GET " + opURL:                       {fabricErr(429, "RequestBlocked", "Retry-After", "55")},
			"GET " + base + "/v1/operations/op2": {state("Running", "", "20")},
			"GET " + other:                       {state("Running", "", "20")},
		}.transport()
		c := lro.NewClient(lro.Options{Transport: tr})
		ctx := context.Background()
		a, _ := c.Resume("op1")
		b, _ := c.Resume("op2")
		o, _ := c.Resume(other)
		if err := a.Poll(ctx); !errors.Is(err, lro.CodeRequestBlocked) {
			t.Fatalf("a: %v", err)
		}
		time.Sleep(10 * time.Second)
		if err := b.Poll(ctx); !errors.Is(err, lro.CodeRequestBlocked) || !lro.IsRetryable(err) {
			t.Fatalf("b during the pause: %v, want CodeRequestBlocked", err)
		}
		if got := b.NextPollAt().Sub(t0); got != 55*time.Second {
			t.Errorf("b next poll at +%v, want +55s", got)
		}
		if err := o.Poll(ctx); err != nil {
			t.Errorf("other host: %v", err)
		}
		if n := tr.Count("GET", base+"/v1/operations/op2"); n != 0 {
			t.Errorf("b sent %d requests during the pause", n)
		}
		time.Sleep(45 * time.Second)
		if err := b.Poll(ctx); err != nil {
			t.Errorf("b after the pause: %v", err)
		}
	})
}

func TestResume(t *testing.T) {
	tests := []struct {
		name     string
		token    string
		script   script
		wantKind lro.Kind
		wantID   string
		wantLog  []string
		wantRes  string
		wantCode string
	}{
		{
			name:     "bare operation id",
			token:    " op1 ",
			script:   script{"GET " + opURL: {state("Succeeded", resURL, "")}, "GET " + resURL: {{Status: 200, Body: `{"a":1}`}}},
			wantKind: lro.KindOperation, wantID: "op1",
			wantLog: []string{"GET " + opURL + " @0s", "GET " + resURL + " @0s"},
			wantRes: `{"a":1}`,
		},
		{
			name:     "Location URL of an operation on another host, without /v1",
			token:    "https://wabi-west-us-redirect.analysis.windows.net/operations/op7",
			script:   script{"GET https://wabi-west-us-redirect.analysis.windows.net/operations/op7": {state("Succeeded", "", "")}},
			wantKind: lro.KindOperation, wantID: "op7",
			wantLog: []string{"GET https://wabi-west-us-redirect.analysis.windows.net/operations/op7 @0s"},
		},
		{
			name:     "result URL fetches the result",
			token:    resURL,
			script:   script{"GET " + resURL: {{Status: 200, Body: `[1]`}}},
			wantKind: lro.KindOperation, wantID: "op1",
			wantLog: []string{"GET " + resURL + " @0s"},
			wantRes: `[1]`,
		},
		{
			name:     "job instance URL",
			token:    jobURL,
			script:   script{"GET " + jobURL: {job("InProgress"), job("Completed")}},
			wantKind: lro.KindJob, wantID: "job1",
			wantLog: []string{"GET " + jobURL + " @0s", "GET " + jobURL + " @20s"},
			wantRes: job("Completed").Body,
		},
		{name: "empty", token: "  ", wantCode: string(lro.CodeInvalidResumeToken)},
		{name: "garbage", token: "not a token!", wantCode: string(lro.CodeInvalidResumeToken)},
		{name: "bad JSON", token: `{"v":`, wantCode: string(lro.CodeInvalidResumeToken)},
		{name: "wrong version", token: `{"v":"other","kind":"operation","url":"https://x/"}`, wantCode: string(lro.CodeInvalidResumeToken)},
		{name: "unknown kind", token: `{"v":"fabric-lro/1","kind":"saga","url":"https://x/"}`, wantCode: string(lro.CodeInvalidResumeToken)},
		{name: "token without URL", token: `{"v":"fabric-lro/1","kind":"operation"}`, wantCode: string(lro.CodeInvalidResumeToken)},
		{name: "javascript URL", token: `javascript:alert(1)`, wantCode: string(lro.CodeInvalidResumeToken)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				tr := tt.script.transport()
				c := lro.NewClient(lro.Options{Transport: tr})
				p, err := c.Resume(tt.token)
				if tt.wantCode != "" {
					var e *lro.Error
					if !errors.As(err, &e) || e.ErrorCode != tt.wantCode || !errors.Is(err, lro.CodeInvalidResumeToken) {
						t.Fatalf("err = %v, want %s", err, tt.wantCode)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if p.Kind() != tt.wantKind || p.ID() != tt.wantID {
					t.Errorf("kind %q id %q, want %q %q", p.Kind(), p.ID(), tt.wantKind, tt.wantID)
				}
				res, err := p.PollUntilDone(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if string(res) != tt.wantRes {
					t.Errorf("result %q, want %q", res, tt.wantRes)
				}
				if got := log(tr, t0); !reflect.DeepEqual(got, tt.wantLog) {
					t.Errorf("requests %q, want %q", got, tt.wantLog)
				}
			})
		})
	}
}

// TestResumeTokenLosesNothing: stopping after any number of polls and resuming from the token
// in a new client gives the same requests at the same times as never stopping.
func TestResumeTokenLosesNothing(t *testing.T) {
	sc := script{
		"POST " + itemsURL: {accepted(opURL, "op1", "20")},
		"GET " + opURL:     {state("NotStarted", opURL, "30"), state("Running", opURL, "20"), state("Succeeded", resURL, "")},
		"GET " + resURL:    {{Status: 200, Body: `{"id":"i9"}`}},
	}
	want := []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s", "GET " + opURL + " @50s", "GET " + opURL + " @1m10s", "GET " + resURL + " @1m10s"}
	for stopAfter := 0; stopAfter <= 4; stopAfter++ {
		t.Run(fmt.Sprint("after ", stopAfter, " polls"), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				tr := sc.transport()
				ctx := context.Background()
				p, err := lro.NewClient(lro.Options{Transport: tr}).Start(ctx, &lro.Request{Method: "POST", URL: itemsURL})
				if err != nil {
					t.Fatal(err)
				}
				for range stopAfter {
					if p.Done() {
						break
					}
					time.Sleep(time.Until(p.NextPollAt()))
					if err := p.Poll(ctx); err != nil {
						t.Fatal(err)
					}
				}
				tok, err := p.ResumeToken()
				if err != nil {
					t.Fatal(err)
				}
				q, err := lro.NewClient(lro.Options{Transport: tr}).Resume(tok)
				if err != nil {
					t.Fatalf("Resume(%s): %v", tok, err)
				}
				res, err := q.PollUntilDone(ctx)
				if err != nil || string(res) != `{"id":"i9"}` {
					t.Fatalf("result %q, %v", res, err)
				}
				if got := log(tr, t0); !reflect.DeepEqual(got, want) {
					t.Errorf("requests:\n%s\nwant\n%s\ntoken %s", strings.Join(got, "\n"), strings.Join(want, "\n"), tok)
				}
				if len(tok) > 400 && stopAfter < 4 {
					t.Errorf("token is %d bytes, want it small: %s", len(tok), tok)
				}
			})
		})
	}
}

func TestCancelJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := script{
			"POST " + jobsURL:            {accepted(jobURL, "", "60")},
			"POST " + jobURL + "/cancel": {accepted(jobURL, "", "60"), fabricErr(400, "JobAlreadyCompleted")},
			"GET " + jobURL:              {job("Cancelled")},
			"POST " + itemsURL:           {accepted(opURL, "op1", "20")},
		}.transport()
		c := lro.NewClient(lro.Options{Transport: tr})
		ctx := context.Background()
		p, err := c.Start(ctx, &lro.Request{Method: "POST", URL: jobsURL})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Cancel(ctx); err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		if err := p.Cancel(ctx); !errors.As(err, new(*lro.Error)) || !strings.Contains(err.Error(), "JobAlreadyCompleted") {
			t.Errorf("second Cancel: %v", err)
		}
		if _, err := p.PollUntilDone(ctx); !errors.Is(err, lro.CodeJobCancelled) {
			t.Errorf("PollUntilDone: %v, want CodeJobCancelled", err)
		}
		if p.Attempts() != 4 {
			t.Errorf("attempts %d, want 4", p.Attempts())
		}
		op, _ := c.Start(ctx, &lro.Request{Method: "POST", URL: itemsURL})
		var e *lro.Error
		if err := op.Cancel(ctx); !errors.As(err, &e) || e.ErrorCode != string(lro.CodeOperationNotCancellable) {
			t.Errorf("Cancel of an operation: %v", err)
		}
	})
}

func TestContextCancellation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := script{"POST " + itemsURL: {accepted(opURL, "op1", "20")}}.transport()
		c := lro.NewClient(lro.Options{Transport: tr})
		p, err := c.Start(context.Background(), &lro.Request{Method: "POST", URL: itemsURL})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { _, err := p.PollUntilDone(ctx); errc <- err }()
		synctest.Wait() // PollUntilDone waits for the first poll's time
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if n := len(tr.Requests()); n != 1 {
			t.Errorf("%d requests, want only the start", n)
		}
	})
}

// TestTimeoutSurvivesResume: Options.Timeout is an absolute deadline carried in the resume
// token, so resuming (after a reload, in another process) does not restart it.
func TestTimeoutSurvivesResume(t *testing.T) {
	tests := []struct {
		name         string
		timeout      time.Duration // of the client that starts the call
		resumeWith   time.Duration // Timeout of the client that resumes it
		resumeFromID bool          // resume from the bare operation id instead of the token
		wantLog      []string
		wantCode     string
	}{
		{
			name:    "a token keeps the original deadline",
			timeout: 30 * time.Second, resumeWith: 30 * time.Second,
			wantLog:  []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s"},
			wantCode: string(lro.CodeOperationDeadlineExceeded),
		},
		{
			name:     "a token's deadline holds even for a client without Timeout",
			timeout:  30 * time.Second,
			wantLog:  []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s"},
			wantCode: string(lro.CodeOperationDeadlineExceeded),
		},
		{
			name:    "a token's deadline is not shortened by the resuming client's Timeout",
			timeout: 5 * time.Minute, resumeWith: 10 * time.Second,
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s", "GET " + opURL + " @40s", "GET " + opURL + " @1m0s", "GET " + opURL + " @1m20s"},
		},
		{
			name:    "without Timeout there is no deadline",
			wantLog: []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s", "GET " + opURL + " @40s", "GET " + opURL + " @1m0s", "GET " + opURL + " @1m20s"},
		},
		{
			name:    "a bare id carries no deadline: the resuming client's Timeout starts anew",
			timeout: 30 * time.Second, resumeWith: 30 * time.Second, resumeFromID: true,
			wantLog:  []string{"POST " + itemsURL + " @0s", "GET " + opURL + " @20s", "GET " + opURL + " @20s", "GET " + opURL + " @40s"},
			wantCode: string(lro.CodeOperationDeadlineExceeded),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				tr := script{
					"POST " + itemsURL: {accepted(opURL, "op1", "20")},
					"GET " + opURL:     {state("Running", opURL, "20"), state("Running", opURL, "20"), state("Running", opURL, "20"), state("Succeeded", "", "")},
				}.transport()
				ctx := context.Background()
				p, err := lro.NewClient(lro.Options{Transport: tr, Timeout: tt.timeout}).Start(ctx, &lro.Request{Method: "POST", URL: itemsURL})
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Until(p.NextPollAt()))
				if err := p.Poll(ctx); err != nil {
					t.Fatal(err)
				}
				tok, err := p.ResumeToken()
				if err != nil {
					t.Fatal(err)
				}
				if tt.resumeFromID {
					tok = p.ID()
				}
				q, err := lro.NewClient(lro.Options{Transport: tr, Timeout: tt.resumeWith}).Resume(tok)
				if err != nil {
					t.Fatalf("Resume(%s): %v", tok, err)
				}
				_, err = q.PollUntilDone(ctx)
				if got := log(tr, t0); !reflect.DeepEqual(got, tt.wantLog) {
					t.Errorf("requests:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.wantLog, "\n  "))
				}
				var e *lro.Error
				switch {
				case tt.wantCode == "" && err != nil:
					t.Errorf("err = %v, want success", err)
				case tt.wantCode != "" && (!errors.As(err, &e) || e.ErrorCode != tt.wantCode || !errors.Is(err, lro.CodeOperationDeadlineExceeded)):
					t.Errorf("err = %v, want %s", err, tt.wantCode)
				}
			})
		})
	}
}
