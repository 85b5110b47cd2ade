package lro_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/lrotest"
)

// FuzzStateBody: whatever a poll answers (status, Retry-After, body) for an operation or a
// job instance, Poll never panics; a poller that is done has a final status; one that will
// poll again (no error, or a retryable one) does so no sooner than the answer's Retry-After
// allows (within the client's bounds); an error is an *lro.Error with a code; the snapshot
// and the resume token survive.
func FuzzStateBody(f *testing.F) {
	seeds := []struct {
		status     int
		retryAfter string
		body       string
		job        bool
	}{
		{status: 200, retryAfter: "20", body: `{"status":"Running","percentComplete":25}`},
		{status: 200, body: `{"status":"Succeeded","percentComplete":100}`},
		{status: 200, body: `{"status":"Failed","error":{"errorCode":"X","message":"m"}}`},
		{status: 200, retryAfter: "5", body: `{"status":"Undefined"}`},
		{status: 200, body: `{"status":`},
		{status: 200, body: `{"status":"Running","percentComplete":"NaN"}`},
		{status: 200, body: `[]`},
		{status: 429, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT", body: `{"errorCode":"RequestBlocked"}`},
		{status: 429, retryAfter: "0", body: ``},
		{status: 503, retryAfter: "-1", body: `<html>`},
		{status: 401, body: `{"errorCode":"TokenExpired","message":"expired"}`},
		{status: 404, body: `{"errorCode":"OperationNotFound"}`},
		{status: 202, retryAfter: "999999999999", body: ``},
		{status: 200, retryAfter: "30", body: `{"status":"InProgress"}`, job: true},
		{status: 200, body: `{"status":"Completed"}`, job: true},
		{status: 200, body: `{"status":"Failed","failureReason":{"errorCode":"JobFailed","message":"m"}}`, job: true},
		{status: 200, body: `{"status":"Deduped"}`, job: true},
		{status: 200, body: `{"status":null,"failureReason":7}`, job: true},
	}
	for _, s := range seeds {
		f.Add(s.status, s.retryAfter, s.body, s.job)
	}
	final := []string{"Succeeded", "Failed", "Completed", "Cancelled", "Deduped"}
	f.Fuzz(func(t *testing.T, status int, retryAfter, body string, job bool) {
		if status < 100 || status > 599 {
			return
		}
		synctest.Test(t, func(t *testing.T) {
			tr := lrotest.NewTransport()
			pollURL, start := opURL, accepted(opURL, "op1", "1")
			if job {
				pollURL, start = jobURL, accepted(jobURL, "", "1")
			}
			tr.On("POST", itemsURL, start)
			reply := lrotest.Reply{Status: status, Header: lro.Header{}, Body: body}
			if retryAfter != "" {
				reply.Header.Set("Retry-After", retryAfter)
			}
			tr.On("GET", pollURL, reply)
			tr.On("GET", resURL, lrotest.Reply{Status: 200, Body: `{"id":"it1"}`})
			c := lro.NewClient(lro.Options{Transport: tr, Token: lro.StaticToken("t")})
			ctx := context.Background()
			p, err := c.Start(ctx, &lro.Request{Method: "POST", URL: itemsURL})
			if err != nil {
				t.Fatalf("start: %v", err)
			}
			time.Sleep(time.Until(p.NextPollAt())) // the bubble's fake time
			now := time.Now()
			err = p.Poll(ctx)
			var e *lro.Error
			if err != nil && (!errors.As(err, &e) || e.ErrorCode == "") {
				t.Fatalf("Poll: %v (%T), want an *lro.Error with a code", err, err)
			}
			if p.Done() {
				if err == nil && !slices.Contains(final, p.Status()) {
					t.Fatalf("done with status %q", p.Status())
				}
			} else if d, ok := lro.ParseRetryAfter(retryAfter, now); ok && (err == nil || lro.IsRetryable(err)) {
				want := min(d, lro.DefaultMaxRetryAfter)
				if next := p.NextPollAt(); next.Sub(now) < want {
					t.Fatalf("answered %d Retry-After %q, next poll after %v, want at least %v", status, retryAfter, next.Sub(now), want)
				}
			}
			_ = p.Snapshot()
			tok, err := p.ResumeToken()
			if err != nil {
				t.Fatalf("ResumeToken: %v", err)
			}
			if _, err := c.Resume(tok); err != nil {
				t.Fatalf("Resume(%s): %v", tok, err)
			}
		})
	})
}
