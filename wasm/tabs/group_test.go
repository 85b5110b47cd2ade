package tabs

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
)

// bus is a fake BroadcastChannel: a post reaches every other open member, in order.
type bus struct {
	mu      sync.Mutex
	members map[string]func(msg []byte) // by name: what each member receives with
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
	var to []func([]byte)
	snap := strings.HasPrefix(string(msg), `{"k":"snap"`)
	for id, m := range p.b.members {
		if id != p.id && !p.b.closed[id] && !(snap && p.b.noSnaps[id]) {
			to = append(to, m)
		}
	}
	p.b.mu.Unlock()
	for _, receive := range to {
		receive(msg) // never blocks: the member queues it
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
	g := &group{t: t, bus: &bus{members: map[string]func([]byte){}, closed: map[string]bool{}},
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

// join opens a member (a tab) named name, as the page does, whose own getToken returns token
// ("" for none).
func (g *group) join(name, token string) *Member {
	g.t.Helper()
	own := lro.TokenFunc(func(context.Context, bool) (string, error) {
		if token == "" {
			return "", errors.New("no token in this tab")
		}
		return token, nil
	})
	ctx, stop := context.WithCancel(context.Background())
	g.mu.Lock()
	g.stop[name] = stop
	g.mu.Unlock()
	m, err := Open(ctx, Config{
		APIBase:   fabricURL + "/v1",
		Transport: g.transport(),
		Token:     own,
		Tracker:   dashboard.TrackerOptions{Storage: g.store},
		OnLead: func(*dashboard.Tracker) {
			g.mu.Lock()
			g.leaders = append(g.leaders, name)
			g.mu.Unlock()
		},
		Group: func(receive func([]byte)) (Channel, Lock) {
			g.bus.add(name, receive)
			return port{b: g.bus, id: name}, lockFor{l: g.locks, id: name}
		},
	})
	if err != nil {
		g.t.Fatalf("%s: %v", name, err)
	}
	select {
	case <-m.ready:
	default:
		g.t.Fatalf("%s: never learned the list", name)
	}
	return m
}

// add makes a member named name receive what the others post.
func (b *bus) add(name string, receive func([]byte)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.members[name] = receive
}

// close is the tab closing (or crashing): no more messages, its engine stops, and the
// browser hands the lock to the next member.
func (g *group) close(name string) {
	g.bus.mu.Lock()
	g.bus.closed[name] = true
	g.bus.mu.Unlock()
	g.mu.Lock()
	stop := g.stop[name]
	delete(g.stop, name)
	g.mu.Unlock()
	if stop != nil {
		stop()
		synctest.Wait() // its scheduler has returned
	}
	g.locks.release(name)
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
func (g *group) waitAll(m *Member, ids ...string) map[string]dashboard.Snapshot {
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
func eventually(t *testing.T, m *Member, what string, cond func([]dashboard.Snapshot) bool) {
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
