package lro_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/lrotest"
)

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
