package lro_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
)

// TestErrorsStateFacts: the errors the engine makes say what failed, with the facts (host,
// counts, the failure they wrap, Fabric's code and message), under a code a caller can branch
// on with errors.Is; what a person should do about it is the caller's to say, so no message
// gives advice. Each wrapped failure appears once in Error().
func TestErrorsStateFacts(t *testing.T) {
	advice := []string{"sign in", "try again", "check ", "instead", "raise ", "track it", "run it again", "cancel again", "asking again", "should"}
	start := func(sc script, opts lro.Options, req *lro.Request) error {
		opts.Transport = sc.transport()
		c := lro.NewClient(opts)
		ctx := context.Background()
		p, err := c.Start(ctx, req)
		if err != nil {
			return err
		}
		_, err = p.PollUntilDone(ctx)
		return err
	}
	post := &lro.Request{Method: "POST", URL: itemsURL}
	tests := []struct {
		name      string
		run       func() error
		wantCode  lro.Code
		wantIs    lro.Code // also matched (the wrapped failure), if set
		wantFacts []string
	}{
		{
			name: "the token source fails",
			run: func() error {
				return start(script{}, lro.Options{Token: lro.TokenFunc(func(context.Context, bool) (string, error) {
					return "", errors.New("interaction_required")
				})}, post)
			},
			wantCode: lro.CodeTokenUnavailable, wantFacts: []string{"interaction_required"},
		},
		{
			name: "Fabric refuses the token",
			run: func() error {
				return start(script{"POST " + itemsURL: {fabricErr(401, "InvalidToken")}}, lro.Options{}, post)
			},
			wantCode: "InvalidToken", wantFacts: []string{"401", "m InvalidToken", "req-InvalidToken"},
		},
		{
			name: "a POST start fails with no answer: not retried",
			run: func() error {
				return start(script{"POST " + itemsURL: {{Err: errors.New("connection reset")}}}, lro.Options{}, post)
			},
			wantCode: lro.CodeStartNotRetried, wantIs: lro.CodeNetworkError,
			wantFacts: []string{"POST was not retried", "may have taken effect", "api.fabric.microsoft.com", "connection reset"},
		},
		{
			name: "5xx answers outlast the retries",
			run: func() error {
				return start(script{"POST " + itemsURL: {accepted(opURL, "op1", "20")}, "GET " + opURL: {fabricErr(503, "ServiceUnavailable")}},
					lro.Options{MaxRetries: 2}, post)
			},
			wantCode: lro.CodeRetriesExhausted, wantIs: "ServiceUnavailable",
			wantFacts: []string{"3 consecutive failed attempts", "503 ServiceUnavailable", "req-ServiceUnavailable"},
		},
		{
			name: "the overall deadline passes",
			run: func() error {
				return start(script{"POST " + itemsURL: {accepted(opURL, "op1", "20")}, "GET " + opURL: {state("Running", opURL, "20")}},
					lro.Options{Timeout: 30 * time.Second}, post)
			},
			wantCode: lro.CodeOperationDeadlineExceeded, wantFacts: []string{bubbleStart.Add(30 * time.Second).Format(time.RFC3339), "Options.Timeout", "may still be running"},
		},
		{
			name: "a poll is redirected",
			run: func() error {
				return start(script{"POST " + itemsURL: {accepted(opURL, "op1", "20")}, "GET " + opURL: {{Status: 302, Header: h("Location", "https://login.example/")}}},
					lro.Options{}, post)
			},
			wantCode: lro.CodeUnexpectedResponse, wantFacts: []string{"302", opURL, "https://login.example/"},
		},
		{
			name: "a job is cancelled",
			run: func() error {
				return start(script{"POST " + jobsURL: {accepted(jobURL, "", "60")}, "GET " + jobURL: {job("Cancelled")}}, lro.Options{}, &lro.Request{Method: "POST", URL: jobsURL})
			},
			wantCode: lro.CodeJobCancelled, wantFacts: []string{"cancelled"},
		},
		{
			name: "a job is deduped",
			run: func() error {
				return start(script{"POST " + jobsURL: {accepted(jobURL, "", "60")}, "GET " + jobURL: {job("Deduped")}}, lro.Options{}, &lro.Request{Method: "POST", URL: jobsURL})
			},
			wantCode: lro.CodeJobDeduped, wantFacts: []string{"already running"},
		},
		{
			name: "a job's instance is not known yet",
			run: func() error {
				c := lro.NewClient(lro.Options{Transport: script{}.transport()})
				p, err := c.Resume(base + "/v1/workspaces/ws1/items/it1/jobs/instances?jobType=Execute")
				if err != nil {
					return err
				}
				return p.Cancel(context.Background())
			},
			wantCode: lro.CodeJobInstanceNotKnownYet, wantFacts: []string{"list of the item's job instances"},
		},
		{
			name: "a call is no longer watched",
			run: func() error {
				s := lro.NewScheduler(lro.NewClient(lro.Options{Transport: script{}.transport()}), lro.SchedulerOptions{})
				if _, err := s.Track("op1", ""); err != nil {
					return err
				}
				if err := s.Cancel(context.Background(), "op1"); err != nil {
					return err
				}
				_, err := s.Wait(context.Background(), "op1")
				return err
			},
			wantCode: lro.CodeWatchCancelled, wantFacts: []string{"may still complete in Fabric"},
		},
		{
			name: "an id that is not watched",
			run: func() error {
				return lro.NewScheduler(lro.NewClient(lro.Options{Transport: script{}.transport()}), lro.SchedulerOptions{}).Retry("op9")
			},
			wantCode: lro.CodeOperationNotTracked, wantFacts: []string{`"op9"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				err := tt.run()
				var e *lro.Error
				if !errors.As(err, &e) || e.ErrorCode != string(tt.wantCode) || !errors.Is(err, tt.wantCode) || (tt.wantIs != "" && !errors.Is(err, tt.wantIs)) {
					t.Fatalf("err = %v, want code %s (and %q)", err, tt.wantCode, tt.wantIs)
				}
				msg := err.Error()
				for _, want := range tt.wantFacts {
					if !strings.Contains(msg, want) {
						t.Errorf("%q does not say %q", msg, want)
					}
				}
				for _, word := range advice {
					if strings.Contains(strings.ToLower(e.Message), word) {
						t.Errorf("message %q gives advice (%q)", e.Message, word)
					}
				}
				if inner := errors.Unwrap(err); inner != nil && strings.Count(msg, inner.Error()) != 1 {
					t.Errorf("%q does not say its cause %q exactly once", msg, inner.Error())
				}
			})
		})
	}
}
