package tabs_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/nethttp"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
	"github.com/fabric-lro/fabric-lro/wasm/tabs"
)

// bus is a fake BroadcastChannel: a post reaches every other open member, in order.
type bus struct {
	mu      sync.Mutex
	members map[string]*tabs.Member
	closed  map[string]bool
	posts   []string        // every message posted, for tests that look at the protocol
	noSnaps map[string]bool // members that never get a snap message (as if it were still in flight)
}

type port struct {
	b  *bus
	id string
}

func (p port) Post(msg []byte) {
	p.b.mu.Lock()
	if p.b.closed[p.id] {
		p.b.mu.Unlock()
		return
	}
	p.b.posts = append(p.b.posts, string(msg))
	var to []*tabs.Member
	snap := strings.HasPrefix(string(msg), `{"k":"snap"`)
	for id, m := range p.b.members {
		if id != p.id && !p.b.closed[id] && !(snap && p.b.noSnaps[id]) {
			to = append(to, m)
		}
	}
	p.b.mu.Unlock()
	for _, m := range to {
		m.Receive(msg) // never blocks: the member queues it
	}
}

// locks is a fake Web Locks API for one lock name: granted in request order, released when
// the holder's tab closes.
type locks struct {
	mu     sync.Mutex
	holder string
	queue  []waiter
}

type waiter struct {
	id      string
	granted func()
}

type lockFor struct {
	l  *locks
	id string
}

func (f lockFor) Request(granted func()) {
	f.l.mu.Lock()
	if f.l.holder == "" {
		f.l.holder = f.id
		f.l.mu.Unlock()
		granted()
		return
	}
	f.l.queue = append(f.l.queue, waiter{id: f.id, granted: granted})
	f.l.mu.Unlock()
}

// release is what the browser does when id's tab closes or crashes.
func (l *locks) release(id string) {
	l.mu.Lock()
	l.queue = slices.DeleteFunc(l.queue, func(w waiter) bool { return w.id == id })
	if l.holder != id {
		l.mu.Unlock()
		return
	}
	l.holder = ""
	if len(l.queue) == 0 {
		l.mu.Unlock()
		return
	}
	next := l.queue[0]
	l.queue = l.queue[1:]
	l.holder = next.id
	l.mu.Unlock()
	next.granted()
}

// group is the emulator, a shared localStorage stand-in, and the bus and lock of the
// members ("tabs") that join. Tests run it in a synctest bubble: time is fake, and moves on
// only when every member, engine and the test itself waits.
type group struct {
	t     *testing.T
	store dashboard.Storage
	bus   *bus
	locks *locks

	emu     *emulator.Server
	mu      sync.Mutex
	seen    []string    // "token METHOD path" of every request that reached the emulator
	at      []time.Time // when each was seen, on the bubble's clock
	stop    map[string]func()
	leaders []string // members whose engine started, in order
}

// fabricURL is where the engines send their requests: the emulator, served in-process.
const fabricURL = "http://fabric.test"

// inProcess is an http.RoundTripper that serves each request with a handler in the calling
// goroutine: no network, which a synctest bubble could not wait for.
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	in := r.Clone(r.Context())
	in.Host, in.RequestURI = r.URL.Host, r.URL.RequestURI()
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, in)
	return rec.Result(), nil
}

// transport is an engine's transport to the emulator, through the native adapter.
func (g *group) transport() lro.Transport {
	return nethttp.New(&http.Client{Transport: inProcess{http.HandlerFunc(g.serve)}})
}

// serve notes who asked for what, and when, and lets the emulator answer.
func (g *group) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.seen = append(g.seen, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+" "+r.Method+" "+r.URL.Path)
	g.at = append(g.at, time.Now())
	g.mu.Unlock()
	g.emu.ServeHTTP(w, r)
}

// newGroup makes a group; call it inside the test's bubble.
func newGroup(t *testing.T, persist bool) *group {
	t.Helper()
	g := &group{t: t, bus: &bus{members: map[string]*tabs.Member{}, closed: map[string]bool{}},
		locks: &locks{}, stop: map[string]func(){}}
	if persist {
		g.store = &dashboard.MemoryStorage{}
	}
	g.emu = emulator.New(emulator.Config{RetryAfter: time.Second, OperationDuration: 3 * time.Second,
		CreateMode: emulator.CreateAsync, StrictRetryAfter: true, Seed: 1})
	t.Cleanup(func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		for _, stop := range g.stop {
			stop()
		}
	})
	return g
}

// join opens a member (a tab) whose own getToken returns token ("" for none).
func (g *group) join(id, token string) *tabs.Member {
	g.t.Helper()
	own := lro.TokenFunc(func(context.Context, bool) (string, error) {
		if token == "" {
			return "", errors.New("no token in this tab")
		}
		return token, nil
	})
	var m *tabs.Member
	m = tabs.New(tabs.Options{
		ID:        id,
		Channel:   port{b: g.bus, id: id},
		Lock:      lockFor{l: g.locks, id: id},
		Token:     own,
		TokenWait: 5 * time.Second,
		Lead: func(resume []dashboard.Snapshot) tabs.Leader {
			client := lro.NewClient(lro.Options{Transport: g.transport(), BaseURL: fabricURL, Token: m.TokenSource(own)})
			sched := lro.NewScheduler(client, lro.SchedulerOptions{RequestsPerSecond: 1000, Burst: 100})
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			go func() { defer close(stopped); sched.Run(ctx) }()
			g.mu.Lock()
			g.leaders = append(g.leaders, id)
			g.stop[id] = func() { cancel(); <-stopped }
			g.mu.Unlock()
			return tabs.Resume(sched, dashboard.TrackerOptions{APIBase: fabricURL + "/v1", Storage: g.store}, resume)
		},
	})
	g.bus.mu.Lock()
	g.bus.members[id] = m
	g.bus.mu.Unlock()
	m.Start()
	select {
	case <-m.Ready():
	case <-time.After(10 * time.Second):
		g.t.Fatalf("%s: never learned the list", id)
	}
	return m
}

// close is the tab closing (or crashing): no more messages, its engine stops, and the
// browser hands the lock to the next member.
func (g *group) close(id string) {
	g.bus.mu.Lock()
	g.bus.closed[id] = true
	g.bus.mu.Unlock()
	g.mu.Lock()
	stop := g.stop[id]
	delete(g.stop, id)
	g.mu.Unlock()
	if stop != nil {
		stop()
	}
	g.locks.release(id)
}

// requests returns the requests seen whose "token METHOD path" has prefix.
func (g *group) requests(prefix string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, s := range g.seen {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// waitAll waits for every id to end in m, within 60 seconds of the bubble's clock (which
// moves on while the leader's scheduler waits).
func (g *group) waitAll(m *tabs.Member, ids ...string) map[string]dashboard.Snapshot {
	g.t.Helper()
	type res struct {
		s   dashboard.Snapshot
		err error
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	results := make(chan res, len(ids))
	for _, id := range ids {
		go func() {
			s, err := m.Wait(ctx, id)
			results <- res{s, err}
		}()
	}
	out := map[string]dashboard.Snapshot{}
	var failed error
	for range ids {
		r := <-results
		if r.err != nil {
			failed = r.err
			continue
		}
		out[r.s.ID] = r.s
	}
	if failed != nil {
		g.t.Fatalf("not all of %v ended within 60 fake seconds (%d did): %v", ids, len(out), failed)
	}
	return out
}

// eventually waits (bounded, woken by m's own notifications) until cond holds for m's list.
func eventually(t *testing.T, m *tabs.Member, what string, cond func([]dashboard.Snapshot) bool) {
	t.Helper()
	changed := make(chan struct{}, 1)
	poke := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	defer m.Subscribe(func(dashboard.Snapshot) { poke() })()
	defer m.OnRemove(func(...string) { poke() })()
	deadline := time.After(10 * time.Second)
	for !cond(m.Operations()) {
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%s: never; the list is %v", what, labels(m.Operations()))
		}
	}
}

func labels(ops []dashboard.Snapshot) []string {
	out := make([]string, len(ops))
	for i, s := range ops {
		out[i] = s.Label + " " + s.Status
	}
	return out
}

func has(ids ...string) func([]dashboard.Snapshot) bool {
	return func(ops []dashboard.Snapshot) bool {
		for _, id := range ids {
			if !slices.ContainsFunc(ops, func(s dashboard.Snapshot) bool { return s.ID == id }) {
				return false
			}
		}
		return true
	}
}

func notebook(name string) dashboard.ItemRequest {
	return dashboard.ItemRequest{Type: "Notebook", DisplayName: name}
}

// TestTwoTabsOneEngine: the first tab leads and polls; the second follows. Operations created
// in either show in both, wait() resolves in both for all of them (a second load() used to
// never see the first one's operations), and every poll is the leader's: the second tab's
// token never polls and no poll comes before Retry-After (the emulator runs strict).
func TestTwoTabsOneEngine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup(t, true)
		ctx := context.Background()
		a := g.join("A", "tok-A")
		b := g.join("B", "tok-B")

		fromA, err := a.CreateItem(ctx, emulator.DefaultWorkspaceID, notebook("From A"))
		if err != nil {
			t.Fatal(err)
		}
		fromB, err := b.CreateItem(ctx, emulator.DefaultWorkspaceID, notebook("From B"))
		if err != nil {
			t.Fatal(err)
		}
		if fromB.Label != "Create Notebook “From B”" || fromB.Done {
			t.Errorf("B's create resolved to %+v, want the running operation", fromB)
		}
		eventually(t, b, "B shows A's operation", has(fromA.ID, fromB.ID))
		eventually(t, a, "A shows B's operation", has(fromA.ID, fromB.ID))

		final := g.waitAll(b, fromA.ID, fromB.ID)
		for id, s := range final {
			if s.Status != dashboard.StatusSucceeded || len(s.Result) == 0 {
				t.Errorf("%s ended %s with result %s in B", id, s.Status, s.Result)
			}
		}
		if s, err := a.Wait(ctx, fromB.ID); err != nil || s.Status != dashboard.StatusSucceeded {
			t.Errorf("A's wait for B's operation: %+v, %v", s, err)
		}
		if got := g.requests("tok-B "); len(got) != 0 {
			t.Errorf("the follower sent %v; want every request from the leader", got)
		}
		if got := g.requests("tok-A POST"); len(got) != 2 {
			t.Errorf("creates %v, want 2", got)
		}
		if polls := g.requests("tok-A GET /v1/operations/"); len(polls) > 2*(3+2) {
			t.Errorf("%d polls for two operations of 3 s with Retry-After 1 s: want at most %d", len(polls), 2*(3+2))
		}
		for _, s := range b.Operations() {
			if s.Error != nil {
				t.Errorf("%s: %+v (an early poll gets 429 from the strict emulator)", s.Label, s.Error)
			}
		}
		if g.leaders[0] != "A" || len(g.leaders) != 1 {
			t.Errorf("engines started: %v, want A's alone", g.leaders)
		}
	})
}

// TestLeaderClosesMidOperation: the leading tab closes while operations run (some started in
// the follower); the follower leads, resumes them from what was saved and what it was shown,
// and finishes every one: nothing lost, nothing created twice.
func TestLeaderClosesMidOperation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		persist bool
	}{
		{name: "saved in localStorage", persist: true},
		{name: "persist false: from the broadcast resume tokens", persist: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := newGroup(t, tc.persist)
				ctx := context.Background()
				a := g.join("A", "tok-A")
				b := g.join("B", "tok-B")
				c := g.join("C", "tok-C")
				var ids []string
				for i, m := range []*tabs.Member{a, b, c, b} {
					s, err := m.CreateItem(ctx, emulator.DefaultWorkspaceID, notebook("Op "+string(rune('1'+i))))
					if err != nil {
						t.Fatal(err)
					}
					ids = append(ids, s.ID)
				}
				eventually(t, b, "B shows all", has(ids...))
				eventually(t, c, "C shows all", has(ids...))
				g.close("A") // the browser hands the lock to B, which leads before close returns
				final := g.waitAll(c, ids...)
				for _, id := range ids {
					if s := final[id]; s.Status != dashboard.StatusSucceeded {
						t.Errorf("%s ended %q in C: want Succeeded", id, s.Status)
					}
				}
				if got := len(g.requests("")) - len(g.requests("tok-A")) - len(g.requests("tok-B")); got != 0 {
					t.Errorf("C sent %d requests; want the new leader alone", got)
				}
				if posts := len(g.requests("tok-A POST")) + len(g.requests("tok-B POST")); posts != len(ids) {
					t.Errorf("%d creates sent for %d operations: want none sent again", posts, len(ids))
				}
				if n := len(c.Operations()); n != len(ids) {
					t.Errorf("C lists %d operations, want %d: %v", n, len(ids), labels(c.Operations()))
				}
				if g.leaders[1] != "B" || len(g.leaders) != 2 {
					t.Errorf("engines started: %v, want A's then B's", g.leaders)
				}
			})
		})
	}
}

// gate is a Leader whose calls wait until released: a leader that has a call in hand.
type gate struct {
	tabs.Leader
	entered chan string
	release chan struct{}
}

func (g *gate) CreateItem(ctx context.Context, ws string, item dashboard.ItemRequest) (dashboard.Snapshot, error) {
	g.entered <- "create"
	<-g.release
	return g.Leader.CreateItem(ctx, ws, item)
}

func (g *gate) Track(ctx context.Context, ref string) (dashboard.Snapshot, error) {
	g.entered <- "track"
	<-g.release
	return g.Leader.Track(ctx, ref)
}

// TestCallsToAClosedLeader: a create the closed leader had in hand fails with LeaderClosed
// (it may have reached Fabric: it is never sent twice); a track is sent to the new leader.
func TestCallsToAClosedLeader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup(t, true)
		ctx := context.Background()
		held := &gate{entered: make(chan string, 2), release: make(chan struct{})}
		var a *tabs.Member
		a = tabs.New(tabs.Options{ID: "A", Channel: port{b: g.bus, id: "A"}, Lock: lockFor{l: g.locks, id: "A"},
			Lead: func([]dashboard.Snapshot) tabs.Leader {
				client := lro.NewClient(lro.Options{Transport: g.transport(), BaseURL: fabricURL, Token: lro.StaticToken("tok-A")})
				held.Leader = dashboard.NewTracker(lro.NewScheduler(client, lro.SchedulerOptions{}), dashboard.TrackerOptions{APIBase: fabricURL + "/v1"})
				return held
			}})
		g.bus.mu.Lock()
		g.bus.members["A"] = a
		g.bus.mu.Unlock()
		a.Start()
		defer close(held.release)
		b := g.join("B", "tok-B")

		type out struct {
			s   dashboard.Snapshot
			err error
		}
		created, tracked := make(chan out, 1), make(chan out, 1)
		go func() {
			s, err := b.CreateItem(ctx, emulator.DefaultWorkspaceID, notebook("Lost?"))
			created <- out{s, err}
		}()
		<-held.entered
		go func() {
			s, err := b.Track(ctx, "00000000-0000-0000-0000-0000000000aa")
			tracked <- out{s, err}
		}()
		<-held.entered
		g.close("A")
		c := <-created
		if c.err == nil || !strings.Contains(c.err.Error(), tabs.CodeLeaderClosed) {
			t.Errorf("create in the closed leader's hands: %+v, %v; want %s", c.s, c.err, tabs.CodeLeaderClosed)
		}
		tr := <-tracked
		if tr.err != nil || tr.s.ID != "00000000-0000-0000-0000-0000000000aa" {
			t.Errorf("track sent again to the new leader: %+v, %v", tr.s, tr.err)
		}
		if got := g.requests("tok-A POST"); len(got) != 0 {
			t.Errorf("creates sent: %v", got)
		}
	})
}

// TestLeaderWithoutTokenAsksTheGroup: a leader whose own getToken has nothing asks the group,
// and the follower's token is used; a follower is never asked while the leader has its own.
func TestLeaderWithoutTokenAsksTheGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup(t, false)
		a := g.join("A", "")
		b := g.join("B", "tok-B")
		s, err := b.CreateItem(context.Background(), emulator.DefaultWorkspaceID, notebook("Borrowed"))
		if err != nil {
			t.Fatalf("create through a leader without a token: %v", err)
		}
		g.waitAll(a, s.ID)
		if got := g.requests(" "); len(got) != 0 {
			t.Errorf("requests without a token: %v", got)
		}
		if got := g.requests("tok-B "); len(got) == 0 {
			t.Error("no request carried the follower's token")
		}

		h := newGroup(t, false)
		h.join("A", "tok-A")
		h.join("B", "tok-B")
		h.bus.mu.Lock()
		defer h.bus.mu.Unlock()
		for _, p := range h.bus.posts {
			if strings.Contains(p, "tok-") {
				t.Errorf("a token crossed the channel although the leader has its own: %s", p)
			}
		}
	})
}

// TestForgetInOneTabRemovesEverywhere: dismissing in a follower removes the row in every
// member and from the saved list.
func TestForgetInOneTabRemovesEverywhere(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup(t, true)
		a := g.join("A", "tok-A")
		b := g.join("B", "tok-B")
		s, err := a.CreateItem(context.Background(), emulator.DefaultWorkspaceID, notebook("Dismissed"))
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, b, "B shows it", has(s.ID))
		removed := make(chan []string, 1)
		defer a.OnRemove(func(ids ...string) { removed <- ids })()
		b.Forget(s.ID)
		if got := <-removed; !slices.Equal(got, []string{s.ID}) {
			t.Errorf("A was told %v removed, want %s", got, s.ID)
		}
		if n := len(a.Operations()); n != 0 {
			t.Errorf("A still lists %d", n)
		}
		if saved, _ := g.store.Get(dashboard.StorageKey(fabricURL + "/v1")); strings.Contains(saved, s.ID) {
			t.Errorf("still saved: %s", saved)
		}
	})
}

// TestFollowerIgnoresAClosedLeadersStragglers: once a new leader's state arrived, a message
// still in flight from the old one changes nothing; a snapshot seen twice is told once.
func TestFollowerIgnoresAClosedLeadersStragglers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := tabs.New(tabs.Options{ID: "F", Channel: port{b: &bus{members: map[string]*tabs.Member{}, closed: map[string]bool{}}, id: "F"}, Lock: lockFor{l: &locks{holder: "X"}, id: "F"}})
		f.Start()
		told := make(chan string, 10)
		defer f.Subscribe(func(s dashboard.Snapshot) { told <- s.ID + " " + s.Status })()
		snap := func(id, status string) string {
			return `{"id":"` + id + `","kind":"operation","label":"` + id + `","status":"` + status + `","done":` + map[bool]string{true: "true", false: "false"}[status == "Succeeded"] + `}`
		}
		for _, msg := range []string{
			`{"k":"state","f":"old","s":[` + snap("op-1", "Running") + `]}`,
			`{"k":"snap","f":"old","s":[` + snap("op-1", "Running") + `]}`, // the same again: not told
			`{"k":"state","f":"new","s":[` + snap("op-1", "Running") + `,` + snap("op-2", "Running") + `]}`,
			`{"k":"snap","f":"old","s":[` + snap("op-1", "Failed") + `]}`, // a straggler: ignored
			`{"k":"gone","f":"old","ids":["op-2"]}`,                       // ignored too
			`{"k":"snap","f":"new","s":[` + snap("op-1", "Succeeded") + `]}`,
		} {
			f.Receive([]byte(msg))
		}
		var got []string
		for len(got) < 3 {
			got = append(got, <-told)
		}
		want := []string{"op-1 Running", "op-2 Running", "op-1 Succeeded"}
		if !slices.Equal(got, want) {
			t.Errorf("told %v, want %v", got, want)
		}
		if s, err := f.Wait(context.Background(), "op-1"); err != nil || s.Status != "Succeeded" {
			t.Errorf("Wait: %+v, %v", s, err)
		}
		if n := len(f.Operations()); n != 2 {
			t.Errorf("lists %d, want 2 (op-2 is not gone: the old leader said so)", n)
		}
	})
}

// TestWaitForAnOperationNotSeenYet: wait() in a member for an operation another one started a
// moment ago (its snapshots still on the way) asks the leader, and resolves; an id nobody
// watches is OperationNotTracked.
func TestWaitForAnOperationNotSeenYet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup(t, false)
		a := g.join("A", "tok-A")
		g.bus.mu.Lock()
		g.bus.noSnaps = map[string]bool{"B": true}
		g.bus.mu.Unlock()
		b := g.join("B", "tok-B")
		s, err := a.CreateItem(context.Background(), emulator.DefaultWorkspaceID, notebook("Elsewhere"))
		if err != nil {
			t.Fatal(err)
		}
		g.waitAll(a, s.ID)
		if _, ok := b.Snapshot(s.ID); ok {
			t.Fatal("B saw the operation although no snap reached it")
		}
		final, err := b.Wait(context.Background(), s.ID)
		if err != nil || final.Status != dashboard.StatusSucceeded {
			t.Errorf("B's wait: %+v, %v; want Succeeded", final, err)
		}
		if _, err := b.Wait(context.Background(), "no-such-operation"); err == nil || !strings.Contains(err.Error(), string(lro.CodeOperationNotTracked)) {
			t.Errorf("wait for an id nobody watches: %v, want %s", err, lro.CodeOperationNotTracked)
		}
	})
}

// TestHandoverKeepsThe429Pause: one operation's poll got a 429 (Retry-After 30 s), which
// paused the other's polls too, and the leader's tab closed; the next leader sends nothing to
// Fabric before those 30 s are over (the other operation's own Retry-After was 1 s).
func TestHandoverKeepsThe429Pause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup(t, true)
		if err := g.emu.SetFaults(emulator.FaultRule{Kind: "429", Method: "GET", PathPrefix: "/v1/operations", Count: 1, RetryAfterSeconds: 30}); err != nil {
			t.Fatal(err)
		}
		a := g.join("A", "tok-A")
		b := g.join("B", "tok-B")
		var ids []string
		for _, name := range []string{"Throttled", "Paused"} {
			s, err := a.CreateItem(context.Background(), emulator.DefaultWorkspaceID, notebook(name))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, s.ID)
		}
		throttled := func(ops []dashboard.Snapshot) bool {
			for _, s := range ops {
				if s.Waiting == nil || s.Waiting.Reason != lro.WaitThrottled {
					return false
				}
			}
			return len(ops) == 2
		}
		start := time.Now()
		eventually(t, b, "both operations wait out the 429 pause", throttled) // time moves on to the first polls
		if waited := time.Since(start); waited > 5*time.Second {
			t.Fatalf("no 429 pause until %v after the creates", waited)
		}
		until := b.Operations()[1].Waiting.Until
		g.close("A") // B leads before close returns: its engine's snapshots are in its list
		for _, s := range b.Operations() {
			if s.NextPollAt == nil || s.NextPollAt.Before(until) {
				t.Errorf("%s: the new leader polls it at %v, before the 429 pause ends at %v", s.Label, s.NextPollAt, until)
			}
		}
		g.waitAll(b, ids...)
		g.mu.Lock()
		defer g.mu.Unlock()
		for i, r := range g.seen {
			if strings.HasPrefix(r, "tok-B ") && g.at[i].Before(until) {
				t.Errorf("the new leader sent %s at %v, before the 429 pause ended at %v", r, g.at[i].Format(time.TimeOnly), until.Format(time.TimeOnly))
			}
		}
	})
}
