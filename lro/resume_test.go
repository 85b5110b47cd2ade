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
)

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
