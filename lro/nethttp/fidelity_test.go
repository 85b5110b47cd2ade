//go:build !js

package nethttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/nethttp"
)

// emulatorClient returns a client of an emulator configured by cfg, served in-process (see
// inProcess): call it in a synctest bubble, whose fake clock the emulator then reads.
func emulatorClient(cfg emulator.Config) *lro.Client {
	tr := nethttp.New(&http.Client{Transport: inProcess{"emulator.test": emulator.New(cfg)}})
	return lro.NewClient(lro.Options{Transport: tr, BaseURL: "http://emulator.test", Token: lro.StaticToken("dev-token")})
}

// TestSchedulerFollowsAListFormJob: a job started with a list-form Location is found, shown
// with its instance id, and can then be cancelled through the scheduler: the cancel goes to
// the instance, and the job ends Cancelled once the emulator's cancel delay has passed. It
// runs in fake time: the emulator's job is NotStarted for its first sixth.
func TestSchedulerFollowsAListFormJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const jobDuration, cancelDuration = time.Hour, 30 * time.Second
		c := emulatorClient(emulator.Config{CreateMode: emulator.CreateSync, JobLocation: emulator.JobLocationList,
			JobDuration: jobDuration, CancelDuration: cancelDuration, StrictRetryAfter: true})
		ctx, cancel := context.WithCancel(context.Background())
		s := lro.NewScheduler(c, lro.SchedulerOptions{})
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		defer func() { cancel(); <-done }()

		item, err := s.Add(ctx, &lro.Request{Method: "POST", URL: "/v1/workspaces/" + emulator.DefaultWorkspaceID + "/items",
			Body: []byte(`{"displayName":"Nightly","type":"Notebook"}`)}, "item")
		if err != nil {
			t.Fatal(err)
		}
		var created struct{ ID string }
		if err := json.Unmarshal(item.Result, &created); err != nil {
			t.Fatal(err)
		}
		found := make(chan lro.Snapshot, 16)
		unsubscribe := s.Subscribe(func(sn lro.Snapshot) {
			if sn.Kind == lro.KindJob && sn.Status == lro.StatusInProgress {
				select {
				case found <- sn:
				default:
				}
			}
		})
		defer unsubscribe()
		job, err := s.Add(ctx, &lro.Request{Method: "POST", URL: "/v1/workspaces/" + emulator.DefaultWorkspaceID + "/items/" + created.ID + "/jobs/Execute/instances"}, "Execute job")
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-found:
		case <-time.After(jobDuration / 2):
			t.Fatal("the job never showed InProgress: its instance was not found in the list")
		}
		if err := s.Cancel(ctx, job.ID); err != nil {
			t.Fatalf("Cancel once the instance is known: %v", err)
		}
		wctx, wcancel := context.WithTimeout(ctx, 2*cancelDuration)
		defer wcancel()
		final, err := s.Wait(wctx, job.ID)
		if !errors.Is(err, lro.CodeJobCancelled) || final.Status != lro.StatusCancelled {
			t.Errorf("final %s %v, want Cancelled", final.Status, err)
		}
		p, err := c.Resume(final.ResumeToken)
		if err != nil || p.Kind() != lro.KindJob || p.ID() == "" || isList(p.URL()) {
			t.Errorf("the resume token of the ended job does not name its instance: %v %q %q", err, p.ID(), p.URL())
		}
	})
}

// isList reports whether u is the list form of a job URL.
func isList(u string) bool { return strings.Contains(u, "/jobs/instances?") }

// TestStartErrorsOfTheNewAnswers: the errors Fabric gives a bad start reach the caller as
// *lro.Error with Fabric's code and requestId, and nothing is watched.
func TestStartErrorsOfTheNewAnswers(t *testing.T) {
	c := emulatorClient(emulator.Config{CreateMode: emulator.CreateSync})
	ctx := context.Background()
	ws := "/v1/workspaces/" + emulator.DefaultWorkspaceID
	p, err := c.Start(ctx, &lro.Request{Method: "POST", URL: ws + "/items", Body: []byte(`{"displayName":"Nightly","type":"Notebook"}`)})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := p.Result()
	var item struct{ ID string }
	if err := json.Unmarshal(res, &item); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, body, wantCode string
	}{
		{name: "unknown job type", path: ws + "/items/" + item.ID + "/jobs/Defragment/instances", wantCode: "InvalidJobType"},
		{name: "payload not base64", path: ws + "/items/" + item.ID + "/updateDefinition",
			body: `{"definition":{"parts":[{"path":"notebook-content.py","payload":"IyBG..cut","payloadType":"InlineBase64"}]}}`, wantCode: "CorruptedPayload"},
		{name: "unknown payloadType", path: ws + "/items/" + item.ID + "/updateDefinition",
			body: `{"definition":{"parts":[{"path":"notebook-content.py","payload":"eA==","payloadType":"Base64"}]}}`, wantCode: "CorruptedPayload"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			_, err := c.Start(ctx, &lro.Request{Method: "POST", URL: tc.path, Body: body})
			var e *lro.Error
			if !errors.As(err, &e) || e.StatusCode != 400 || e.ErrorCode != tc.wantCode || e.RequestID == "" || e.Message == "" {
				t.Errorf("Start = %#v, want 400 %s with a message and a requestId", err, tc.wantCode)
			}
		})
	}
}
