package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is the in-memory Fabric API. It is an http.Handler; create it with New. It is safe
// for concurrent use.
type Server struct {
	cfg    Config
	logf   func(format string, args ...any)
	scheme string
	mux    *http.ServeMux

	// configErr is what Config.Validate reported; New fell back to defaults for those fields.
	configErr error

	mu          sync.Mutex
	set         settings
	ids         *rand.Rand
	faultRand   *rand.Rand
	workspaces  []*workspace
	items       []*item // creation order, deleted items removed
	ops         map[string]*operation
	pending     []*operation // operations not yet completed, in creation order
	jobs        []*jobInstance
	createCount int
	defCount    int // getDefinition and updateDefinition calls, for their 200/202 alternation
	jobCount    int // jobs started, for JobLocationAlternate
	tokens      map[string]*tokenState
	faults      []*faultState
	idp         *idp // the identity-provider mode (Config.Identity); nil without it
}

type tokenState struct {
	firstSeen time.Time
	apis      map[string]*budget // by API (method and route pattern)
}

// budget counts one caller's requests to one API in the current throttling window.
type budget struct {
	windowStart time.Time
	count       int
}

// New returns a Server configured by cfg. Fields of cfg that are zero or invalid get their
// documented defaults (see Config.Validate to detect invalid ones).
func New(cfg Config) *Server {
	s := &Server{cfg: cfg, logf: cfg.Logf, scheme: cfg.Scheme}
	if s.scheme == "" {
		s.scheme = "http"
	}
	s.mux = http.NewServeMux()
	s.routes()
	var idpErr error
	if cfg.Identity != nil {
		s.idp, idpErr = newIDP(*cfg.Identity)
	}
	s.configErr = errors.Join(s.reset(), idpErr)
	return s
}

// reset puts the server back in its start state: the Config given to New, one default
// workspace, no items, operations, jobs, tokens; the Config's faults; generators reseeded.
func (s *Server) reset() error {
	set, err := normalise(s.cfg)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.set = set
	seed := s.cfg.Seed
	if seed == 0 {
		// No seed: like Fabric, never hand out an id twice, not even after a restart or a
		// reset (a dashboard keeps operations from an earlier run in localStorage).
		seed = rand.Uint64() | 1
	}
	s.ids = rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	s.faultRand = rand.New(rand.NewPCG(seed, 0xda942042e4dd58b5))
	s.workspaces = []*workspace{{
		ID:          DefaultWorkspaceID,
		DisplayName: DefaultWorkspaceName,
		Description: "The workspace the Fabric emulator starts with.",
		Type:        "Workspace",
		CapacityID:  "0c7f4a4e-5b7d-4f36-9b1e-7a2b8c9d0e1f",
	}}
	s.items = nil
	s.ops = map[string]*operation{}
	s.pending = nil
	s.jobs = nil
	s.createCount, s.defCount, s.jobCount = 0, 0, 0
	s.tokens = map[string]*tokenState{}
	s.faults = nil
	if s.idp != nil {
		s.idp.reset()
	}
	for _, f := range s.cfg.Faults {
		if f.validate() == nil {
			s.faults = append(s.faults, &faultState{FaultRule: f})
		}
	}
	return err
}

// newID returns a random (version 4 layout) GUID from the seeded generator. Call with s.mu held.
func (s *Server) newID() string {
	var b [16]byte
	hi, lo := s.ids.Uint64(), s.ids.Uint64()
	for i := range 8 {
		b[i] = byte(hi >> (8 * i))
		b[8+i] = byte(lo >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (s *Server) lockedID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newID()
}

type ctxKey struct{}

// call is what the pipeline knows about one request.
type call struct {
	requestID string
	base      string // scheme://host of the request, for absolute Location URLs
}

func callOf(r *http.Request) *call {
	if c, ok := r.Context().Value(ctxKey{}).(*call); ok {
		return c
	}
	return &call{base: "http://" + r.Host}
}

// ServeHTTP answers one request: control endpoint, faults, authentication, throttling, then
// the Fabric route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{requestID: s.lockedID(), base: s.scheme + "://" + r.Host}
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, c))
	w.Header().Set("requestId", c.requestID)

	if r.URL.Path == "/_emulator" || strings.HasPrefix(r.URL.Path, "/_emulator/") {
		rec := newCapture()
		s.control(rec, r)
		s.logRequest(r, rec.status, "")
		rec.flush(w)
		return
	}

	fired := s.matchFaults(r)
	note := faultNote(fired)
	pre := faultsBefore(r.Context(), fired)
	switch {
	case pre.drop:
		s.logRequest(r, 0, note)
		dropConnection(w)
		return
	case pre.clientGone:
		s.logRequest(r, 0, note+" client gone")
		return
	}
	rec := newCapture()
	if pre.instead != nil {
		writeError(rec, c.requestID, s.faultError(pre.instead))
	} else {
		s.serveAPI(rec, r)
	}
	// After: the rules that change the answer, in order.
	for _, f := range fired {
		s.applyFault(f, rec)
	}
	if pre.dropAfter {
		s.logRequest(r, 0, note)
		dropConnection(w)
		return
	}
	s.logRequest(r, rec.status, note)
	rec.flush(w)
}

func (s *Server) logRequest(r *http.Request, status int, note string) {
	if s.logf == nil {
		return
	}
	st := "dropped"
	if status != 0 {
		st = strconv.Itoa(status)
	}
	s.logf("%s %s -> %s%s", r.Method, r.URL.Path, st, note)
}

// dropConnection closes the client connection without an answer: hijacked and closed when
// the ResponseWriter allows it, else aborted the net/http way.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}

// serveAPI authenticates, throttles and routes a /v1 request.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	c := callOf(r)
	if e := s.admit(r); e != nil {
		writeError(w, c.requestID, e)
		return
	}
	_, pattern := s.mux.Handler(r)
	if pattern == "" || path.Clean(r.URL.Path) != r.URL.Path {
		writeError(w, c.requestID, newAPIError(http.StatusNotFound, "EntityNotFound",
			fmt.Sprintf("No Fabric API route matches %s %s in the emulator; see the emulator package documentation for the routes it serves.", r.Method, r.URL.Path)))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// admit checks the bearer token, its age and its request budget.
func (s *Server) admit(r *http.Request) *apiError {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		token, ok = strings.CutPrefix(auth, "bearer ")
	}
	token = strings.TrimSpace(token)
	if !ok || token == "" {
		msg := "The request has no bearer token. Send the header 'Authorization: Bearer <token>'; the emulator accepts any non-empty token, for example dev-token."
		if s.idp != nil {
			msg = "The request has no bearer token. Sign in (the emulator's identity provider issues the tokens it accepts) and send 'Authorization: Bearer <token>'."
		}
		e := newAPIError(http.StatusUnauthorized, "TokenNotProvided", msg)
		e.headers = http.Header{"Www-Authenticate": {"Bearer"}}
		return e
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.idp != nil {
		if e := s.checkAccessToken(r, token, now); e != nil {
			return e
		}
	}
	ts := s.tokens[token]
	if ts == nil {
		ts = &tokenState{firstSeen: now, apis: map[string]*budget{}}
		s.tokens[token] = ts
	}
	if ttl := s.set.TokenTTL; ttl > 0 && now.Sub(ts.firstSeen) >= ttl {
		e := newAPIError(http.StatusUnauthorized, "TokenExpired",
			"Access token has expired, resubmit with a new access token.")
		e.headers = http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}}
		return e
	}
	if limit := s.set.ThrottleLimit; limit > 0 {
		api := s.apiOf(r)
		b := ts.apis[api]
		if b == nil || now.Sub(b.windowStart) >= s.set.ThrottleWindow {
			b = &budget{windowStart: now}
			ts.apis[api] = b
		}
		b.count++
		if b.count > limit {
			until := b.windowStart.Add(s.set.ThrottleWindow)
			return newAPIError(http.StatusTooManyRequests, "RequestBlocked",
				fmt.Sprintf("Request is blocked by the upstream service until: %s (UTC). This caller made more than %d requests to %s in %s; wait the Retry-After seconds before calling it again (its other APIs are not blocked).",
					until.UTC().Format("1/2/2006 3:04:05 PM"), limit, api, s.set.ThrottleWindow)).
				withRetryAfter(retryAfterSeconds(until.Sub(now)))
		}
	}
	return nil
}

// apiOf names the API a request calls, as throttling counts them: its method and route
// pattern ("GET /operations/{op}", the same with or without /v1), or its method and path
// when no route matches.
func (s *Server) apiOf(r *http.Request) string {
	_, pattern := s.mux.Handler(r)
	if pattern == "" {
		return r.Method + " " + r.URL.Path
	}
	method, p, _ := strings.Cut(pattern, " ")
	return method + " " + strings.TrimPrefix(p, "/v1")
}

// capture buffers a response so faults can change it before it is sent.
type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newCapture() *capture { return &capture{header: http.Header{}} }

// Header is the captured answer's header map.
func (c *capture) Header() http.Header { return c.header }

// WriteHeader records the first status written.
func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

// Write buffers body bytes.
func (c *capture) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(p)
}

func (c *capture) flush(w http.ResponseWriter) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	for k, v := range c.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(c.body.Len()))
	w.WriteHeader(c.status)
	w.Write(c.body.Bytes())
}

// writeJSON writes v with encoding/json, ending in a newline (kind to curl users).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"errorCode":"UnknownError","message":"the emulator could not encode its answer"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeAccepted writes a 202 with the long running operation headers of Fabric.
func (s *Server) writeAccepted(w http.ResponseWriter, r *http.Request, op *operation) {
	c := callOf(r)
	w.Header().Set("Location", c.base+"/v1/operations/"+op.id)
	w.Header().Set("x-ms-operation-id", op.id)
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(op.retryAfter)))
	w.WriteHeader(http.StatusAccepted)
}
