package lro_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
)

// tokenFabric answers 200 to the current token and 401 TokenExpired to any other; expire
// makes the current token stale.
type tokenFabric struct {
	mu       sync.Mutex
	current  string
	refused  int
	refusedN chan struct{} // closed once refused reaches wantRefused
	want     int
}

func (f *tokenFabric) Do(_ context.Context, req *lro.Request) (*lro.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.Header.Get("Authorization") == "Bearer "+f.current {
		return &lro.Response{StatusCode: 200, Header: lro.Header{}, Body: []byte(`{}`)}, nil
	}
	f.refused++
	if f.refused == f.want && f.refusedN != nil {
		close(f.refusedN)
	}
	return &lro.Response{StatusCode: 401, Header: lro.Header{"X-Ms-Public-Api-Error-Code": {"TokenExpired"}},
		Body: []byte(`{"errorCode":"TokenExpired","message":"Access token has expired, resubmit with a new access token."}`)}, nil
}

// tokenSource hands out "token-N"; a refresh makes token N+1 (and tells fabric), after
// waiting for gate when it is set.
type tokenSource struct {
	mu        sync.Mutex
	n         int
	refreshes int
	fabric    *tokenFabric
	gate      <-chan struct{}
	fail      error
}

func (s *tokenSource) Token(ctx context.Context, refresh bool) (string, error) {
	if refresh && s.gate != nil {
		<-s.gate
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if refresh {
		s.refreshes++
		if s.fail != nil {
			return "", s.fail
		}
		s.n++
		s.fabric.mu.Lock()
		s.fabric.current = fmt.Sprintf("token-%d", s.n)
		s.fabric.mu.Unlock()
	}
	return fmt.Sprintf("token-%d", s.n), nil
}

// The chaos run saw 116 refreshes for 200 calls: every request refused with the same expired
// token refreshed on its own. Refused together, they share one refresh.
func TestConcurrentTokenExpiredShareOneRefresh(t *testing.T) {
	cases := []struct {
		name          string
		requests      int
		waves         int   // times the token expires, one wave of requests after each
		fail          error // the refresh fails
		wantRefreshes int
	}{
		{name: "one request", requests: 1, waves: 1, wantRefreshes: 1},
		{name: "twenty requests at once", requests: 20, waves: 1, wantRefreshes: 1},
		{name: "two expiries, two refreshes", requests: 10, waves: 2, wantRefreshes: 2},
		{name: "a failed refresh is shared, then tried again", requests: 10, waves: 2, fail: errors.New("interaction_required"), wantRefreshes: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				fabric := &tokenFabric{current: "token-0"}
				src := &tokenSource{fabric: fabric, fail: tc.fail}
				client := lro.NewClient(lro.Options{Transport: fabric, BaseURL: "https://api.fabric.microsoft.com", Token: src})
				for wave := range tc.waves {
					time.Sleep(time.Minute) // waves are apart: a failed refresh is tried again
					// The token expires; every request of this wave is refused before any refresh ends.
					gate := make(chan struct{})
					fabric.mu.Lock()
					fabric.current = "a token no one has"
					fabric.refused, fabric.want, fabric.refusedN = 0, tc.requests, gate
					fabric.mu.Unlock()
					src.mu.Lock()
					src.gate = gate
					src.mu.Unlock()
					errs := make(chan error, tc.requests)
					for range tc.requests {
						go func() {
							_, err := client.Do(context.Background(), &lro.Request{Method: "GET", URL: "/v1/workspaces"})
							errs <- err
						}()
					}
					for range tc.requests {
						err := <-errs
						if tc.fail == nil && err != nil {
							t.Errorf("wave %d: %v", wave, err)
						}
						var e *lro.Error
						if tc.fail != nil && (!errors.As(err, &e) || e.ErrorCode != string(lro.CodeTokenUnavailable)) {
							t.Errorf("wave %d: %v, want %s", wave, err, lro.CodeTokenUnavailable)
						}
					}
				}
				if src.refreshes != tc.wantRefreshes {
					t.Errorf("%d refreshes for %d waves of %d requests, want %d", src.refreshes, tc.waves, tc.requests, tc.wantRefreshes)
				}
			})
		})
	}
}
