package tabs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

func TestOpenRejectsBadConfig(t *testing.T) {
	token := lro.StaticToken("tok").Token
	for _, tc := range []struct {
		name    string
		apiBase string
		token   lro.TokenFunc
		want    string
	}{
		{name: "no apiBase", apiBase: "", token: token, want: "InvalidApiBase"},
		{name: "relative apiBase", apiBase: "/v1", token: token, want: "InvalidApiBase"},
		{name: "not http", apiBase: "ftp://x/v1", token: token, want: "InvalidApiBase"},
		{name: "no getToken", apiBase: fabricURL + "/v1", token: nil, want: "InvalidTokenSource"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Open(context.Background(), Config{APIBase: tc.apiBase, Token: tc.token})
			var e *lro.Error
			if !errors.As(err, &e) || e.ErrorCode != tc.want || m != nil {
				t.Errorf("Open: %v, %v; want errorCode %s", m, err, tc.want)
			}
		})
	}
}

// TestOpenAloneResumesWhatWasSaved: without a group (no Group, or a browser without
// BroadcastChannel or Web Locks) a member leads at once; what its engine saved, the next
// Open on the same storage (a reload) lists and finishes without creating it again.
func TestOpenAloneResumesWhatWasSaved(t *testing.T) {
	for _, tc := range []struct {
		name  string
		group func(func([]byte)) (Channel, Lock)
	}{
		{name: "no Group", group: nil},
		{name: "a Group without a lock", group: func(func([]byte)) (Channel, Lock) { return nil, nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := newGroup(t, true)
				var led []*dashboard.Tracker
				open := func(ctx context.Context) *Member {
					m, err := Open(ctx, Config{APIBase: fabricURL + "/v1", Transport: g.transport(), Token: lro.StaticToken("tok-A").Token,
						Tracker: dashboard.TrackerOptions{Storage: g.store}, Group: tc.group,
						OnLead: func(tr *dashboard.Tracker) { led = append(led, tr) }})
					if err != nil {
						t.Fatal(err)
					}
					return m
				}
				ctx, closeFirst := context.WithCancel(context.Background())
				first := open(ctx)
				if len(led) != 1 {
					t.Fatalf("OnLead called %d times on Open alone, want once", len(led))
				}
				s, err := first.CreateItem(ctx, emulator.DefaultWorkspaceID, notebook("Saved"))
				if err != nil {
					t.Fatal(err)
				}
				closeFirst() // a reload: the first page's engine stops
				synctest.Wait()
				again := open(t.Context())
				if _, ok := again.Snapshot(s.ID); !ok {
					t.Fatalf("the reload does not list %s: %v", s.ID, labels(again.Operations()))
				}
				if final := g.waitAll(again, s.ID)[s.ID]; final.Status != dashboard.StatusSucceeded {
					t.Errorf("after the reload %s ended %q, want Succeeded", s.ID, final.Status)
				}
				if got := g.requests("tok-A POST"); len(got) != 1 {
					t.Errorf("creates %v, want 1", got)
				}
			})
		})
	}
}

// TestFollowerListsWorkspacesWithItsOwnToken: listing workspaces is not polling: a follower
// lists them itself, with its own token, and the leader with its engine.
func TestFollowerListsWorkspacesWithItsOwnToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup(t, false)
		ctx := context.Background()
		for _, m := range []*Member{g.join("A", "tok-A"), g.join("B", "tok-B")} {
			page, err := m.Workspaces(ctx, "")
			if err != nil || len(page.Workspaces) == 0 {
				t.Errorf("Workspaces: %+v, %v", page, err)
			}
		}
		for _, tok := range []string{"tok-A", "tok-B"} {
			if got := g.requests(tok + " GET /v1/workspaces"); len(got) != 1 {
				t.Errorf("%s listed workspaces %d times, want once", tok, len(got))
			}
		}
		if got := strings.Join(g.requests(""), "\n"); len(g.requests("")) != 2 {
			t.Errorf("requests:\n%s\nwant the two workspace lists alone", got)
		}
	})
}
