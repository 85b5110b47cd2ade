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

// listURL is the list form of a job's Location (RunOnDemandItemJob3.json).
const listURL = base + "/v1/workspaces/ws1/items/it1/jobs/instances?jobType=Execute"

// listed renders one entry of a job instance list.
func listed(id, jobType, status, start string) string {
	s := `null`
	if start != "" {
		s = `"` + start + `"`
	}
	return `{"id":"` + id + `","itemId":"it1","jobType":"` + jobType + `","invokeType":"Manual","status":"` + status +
		`","rootActivityId":"r","startTimeUtc":` + s + `,"endTimeUtc":null,"failureReason":null}`
}

func list(entries ...string) lrotest.Reply {
	body := `{"value":[`
	for i, e := range entries {
		if i > 0 {
			body += ","
		}
		body += e
	}
	return lrotest.Reply{Status: 200, Body: body + `]}`}
}

// TestJobListLocation: a job whose 202 Location is the item's job list (not the instance) is
// found in that list, then followed at its own URL to its end.
func TestJobListLocation(t *testing.T) {
	inst := func(id string) string { return base + "/v1/workspaces/ws1/items/it1/jobs/instances/" + id }
	tests := []struct {
		name    string
		loc     string // the 202's Location; "" means listURL
		list    []lrotest.Reply
		wantID  string
		wantLog []string
	}{
		{
			name: "the one not started yet is the newest",
			list: []lrotest.Reply{list(
				listed("old", "Execute", "Completed", "2024-06-22T06:35:00.7812154"),
				listed("new", "Execute", "NotStarted", ""),
				listed("other", "RunNotebook", "NotStarted", ""))},
			wantID:  "new",
			wantLog: []string{"POST " + jobsURL + " @0s", "GET " + listURL + " @1m0s", "GET " + inst("new") + " @2m0s"},
		},
		{
			name: "else the latest start; a job type not asked for is ignored",
			list: []lrotest.Reply{list(
				listed("later", "Execute", "InProgress", "2024-06-22T06:36:00.1"),
				listed("earlier", "execute", "Completed", "2024-06-22T06:35:00.7812154Z"),
				listed("other", "RunNotebook", "InProgress", "2024-06-22T07:00:00"))},
			wantID:  "later",
			wantLog: []string{"POST " + jobsURL + " @0s", "GET " + listURL + " @1m0s", "GET " + inst("later") + " @2m0s"},
		},
		{
			name: "an escaped job type in the Location is compared unescaped",
			loc:  base + "/v1/workspaces/ws1/items/it1/jobs/instances?jobType=Run+Job%2F2",
			list: []lrotest.Reply{list(
				listed("mine", "Run Job/2", "InProgress", "2024-06-22T06:35:00"),
				listed("other", "RunNotebook", "NotStarted", ""))},
			wantID: "mine",
			wantLog: []string{"POST " + jobsURL + " @0s", "GET " + base + "/v1/workspaces/ws1/items/it1/jobs/instances?jobType=Run+Job%2F2 @1m0s",
				"GET " + inst("mine") + " @2m0s"},
		},
		{
			name:    "not listed yet: the list is asked again after Retry-After",
			list:    []lrotest.Reply{list(), list(listed("late", "Execute", "InProgress", "2024-06-22T06:36:00"))},
			wantID:  "late",
			wantLog: []string{"POST " + jobsURL + " @0s", "GET " + listURL + " @1m0s", "GET " + listURL + " @2m0s", "GET " + inst("late") + " @3m0s"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				t0 := time.Now()
				loc := listURL
				if tc.loc != "" {
					loc = tc.loc
				}
				tr := script{
					"POST " + jobsURL:        {accepted(loc, "", "60")},
					"GET " + loc:             tc.list,
					"GET " + inst(tc.wantID): {{Status: 200, Header: h("Retry-After", "60"), Body: listed(tc.wantID, "Execute", "Completed", "2024-06-22T06:36:00")}},
				}.transport()
				c := lro.NewClient(lro.Options{Transport: tr})
				ctx := context.Background()
				p, err := c.Start(ctx, &lro.Request{Method: "POST", URL: jobsURL})
				if err != nil {
					t.Fatal(err)
				}
				if p.Kind() != lro.KindJob || p.ID() != "" {
					t.Errorf("before the first poll: kind %s, id %q; want a job whose id is not known", p.Kind(), p.ID())
				}
				var e *lro.Error
				if err := p.Cancel(ctx); !errors.As(err, &e) || e.ErrorCode != string(lro.CodeJobInstanceNotKnownYet) {
					t.Errorf("Cancel before the instance is known: %v, want %s", err, lro.CodeJobInstanceNotKnownYet)
				}
				res, err := p.PollUntilDone(ctx)
				if err != nil {
					t.Fatalf("PollUntilDone: %v", err)
				}
				if p.ID() != tc.wantID || p.URL() != inst(tc.wantID) || p.Status() != lro.StatusCompleted {
					t.Errorf("id %q url %q status %q, want the instance %s", p.ID(), p.URL(), p.Status(), tc.wantID)
				}
				if want := listed(tc.wantID, "Execute", "Completed", "2024-06-22T06:36:00"); string(res) != want {
					t.Errorf("result %s, want the instance %s", res, want)
				}
				if got := log(tr, t0); !slices.Equal(got, tc.wantLog) {
					t.Errorf("requests\n got %q\nwant %q", got, tc.wantLog)
				}
			})
		})
	}
}

// TestJobListLocationResumes: a resume token taken before the instance was found resumes at
// the list; one taken after, at the instance.
func TestJobListLocationResumes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		instURL := base + "/v1/workspaces/ws1/items/it1/jobs/instances/j1"
		tr := script{
			"POST " + jobsURL: {accepted(listURL, "", "60")},
			"GET " + listURL:  {list(listed("j1", "Execute", "InProgress", "2024-06-22T06:36:00"))},
			"GET " + instURL:  {{Status: 200, Body: listed("j1", "Execute", "Cancelled", "2024-06-22T06:36:00")}},
		}.transport()
		c := lro.NewClient(lro.Options{Transport: tr})
		ctx := context.Background()
		p, err := c.Start(ctx, &lro.Request{Method: "POST", URL: jobsURL})
		if err != nil {
			t.Fatal(err)
		}
		before, _ := p.ResumeToken()
		if err := p.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		after, _ := p.ResumeToken()
		for _, tc := range []struct {
			name, token, wantURL string
		}{
			{name: "before", token: before, wantURL: listURL},
			{name: "after", token: after, wantURL: instURL},
		} {
			r, err := c.Resume(tc.token)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if r.URL() != tc.wantURL {
				t.Errorf("resumed %s the instance was found: URL %q, want %q", tc.name, r.URL(), tc.wantURL)
			}
			if _, err := r.PollUntilDone(ctx); !errors.Is(err, lro.CodeJobCancelled) {
				t.Errorf("resumed %s: %v, want CodeJobCancelled", tc.name, err)
			}
		}
	})
}
