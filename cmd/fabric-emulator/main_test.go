package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fabric-lro/fabric-lro/emulator"
)

func TestHelpListsEveryFlagWithItsDefault(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"--help"}, io.Discard, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run --help = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{
		"-listen", "127.0.0.1:8790", "-retry-after", "(default 2)", "-operation-duration", "(default 6s)",
		"-job-duration", "-create-mode", `(default "alternate")`, "-fail-pattern", "(?i)fail", "-token-ttl", "default 0: never",
		"-throttle-limit", "default 0: no throttling", "-throttle-window", "(default 1m0s)", "-page-size", "(default 100)", "-seed",
		"-regional-base-url", "-regional-listen", "-scheme", "-fault", "-quiet", "-strict-retry-after", "tokenExpired", "/_emulator/",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help does not mention %q:\n%s", want, out.String())
		}
	}
}

func TestBadArguments(t *testing.T) {
	cases := []struct {
		args    []string
		wantErr string
	}{
		{args: []string{"--create-mode", "maybe"}, wantErr: "create mode"},
		{args: []string{"--fail-pattern", "(("}, wantErr: "fail pattern"},
		{args: []string{"--fault", "kind=teapot"}, wantErr: "unknown fault kind"},
		{args: []string{"--no-such-flag"}, wantErr: "not defined"},
		{args: []string{"extra"}, wantErr: "unexpected arguments"},
		{args: []string{"--listen", "256.0.0.1:99999"}, wantErr: "listen"},
		{args: []string{"--listen", "127.0.0.1:0", "--regional-listen", "256.0.0.1:99999"}, wantErr: "--regional-listen"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			err := run(context.Background(), tc.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("run = %v, want an error mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestServesPrintsHowToReachItAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--quiet", "--retry-after", "30", "--create-mode", "async",
			"--fault", "kind=503,path=/v1/workspaces/" + emulator.DefaultWorkspaceID + "/lakehouses,count=1"}, pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var banner strings.Builder
	var base string
	for sc.Scan() {
		banner.WriteString(sc.Text() + "\n")
		if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
		if strings.HasPrefix(sc.Text(), "Control endpoint") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" || !strings.Contains(banner.String(), emulator.DefaultWorkspaceID) || !strings.Contains(banner.String(), "curl") {
		t.Fatalf("banner lacks the URL, the default workspace or the curl example:\n%s", banner.String())
	}

	call := func(method, path, body string) *http.Response {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer dev-token")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := call("POST", "/v1/workspaces/"+emulator.DefaultWorkspaceID+"/notebooks", `{"displayName":"From the banner"}`)
	if res.StatusCode != 202 || res.Header.Get("Retry-After") != "30" || !strings.HasPrefix(res.Header.Get("Location"), base+"/v1/operations/") {
		t.Errorf("create: %d %v", res.StatusCode, res.Header)
	}
	if res := call("POST", "/v1/workspaces/"+emulator.DefaultWorkspaceID+"/lakehouses", `{"displayName":"L"}`); res.StatusCode != 503 {
		t.Errorf("--fault not applied: %d", res.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after shutdown = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
}

// TestRegionalListen: --regional-listen serves the same emulator on a second
// address and points the regionalLocation fault's Location there, so an
// operation created on the main address is polled on the regional one.
func TestRegionalListen(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--regional-listen", "127.0.0.1:0", "--quiet", "--create-mode", "async",
			"--operation-duration", "0s", "--fault", "kind=regionalLocation"}, pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var base, regional string
	for sc.Scan() {
		if m := regexp.MustCompile(`^Regional host listening on (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			regional = m[1]
		}
		if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil && !strings.HasPrefix(sc.Text(), "Regional") {
			base = m[1]
		}
		if strings.HasPrefix(sc.Text(), "Control endpoint") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" || regional == "" || base == regional {
		t.Fatalf("banner: main %q, regional %q; want two addresses", base, regional)
	}

	call := func(method, u, body string) *http.Response {
		req, _ := http.NewRequest(method, u, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer dev-token")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	res := call("POST", base+"/v1/workspaces/"+emulator.DefaultWorkspaceID+"/notebooks", `{"displayName":"Regional"}`)
	loc := res.Header.Get("Location")
	if res.StatusCode != 202 || !strings.HasPrefix(loc, regional+"/v1/operations/") {
		t.Fatalf("create: %d Location %q, want 202 on %s", res.StatusCode, loc, regional)
	}
	if res := call("GET", loc, ""); res.StatusCode != 200 {
		t.Errorf("poll on the regional host: %d, want 200 (the same emulator)", res.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after shutdown = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
}
