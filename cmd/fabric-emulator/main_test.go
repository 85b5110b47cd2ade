package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
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
		"-job-duration", "-job-retry-after", "-cancel-duration", "-job-location", "-fabric-timings", "-create-mode", `(default "alternate")`, "-fail-pattern", "(?i)fail", "-token-ttl", "default 0: never",
		"-throttle-limit", "default 0: no throttling", "-throttle-window", "(default 1m0s)", "-page-size", "(default 100)", "-seed",
		"-regional-base-url", "-regional-listen", "-scheme", "-fault", "-quiet", "-strict-retry-after", "tokenExpired", "/_emulator/",
		"-sign-in", "-idp-listen", "127.0.0.1:8792", "-client-id", "-tenant-id", "-access-token-lifetime", "(default 5m0s)", "-scopes", "Item.ReadWrite.All",
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
	banner := startRun(t, "--retry-after", "30", "--create-mode", "async",
		"--fault", "kind=503,path=/v1/workspaces/"+emulator.DefaultWorkspaceID+"/lakehouses,count=1")
	base := listeningOn(banner, "Fabric emulator")
	if base == "" || !strings.Contains(banner, emulator.DefaultWorkspaceID) || !strings.Contains(banner, "curl") {
		t.Fatalf("banner lacks the URL, the default workspace or the curl example:\n%s", banner)
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
}

// TestRegionalListen: --regional-listen serves the same emulator on a second
// address and points the regionalLocation fault's Location there, so an
// operation created on the main address is polled on the regional one.
func TestRegionalListen(t *testing.T) {
	banner := startRun(t, "--regional-listen", "127.0.0.1:0", "--create-mode", "async",
		"--operation-duration", "0s", "--fault", "kind=regionalLocation")
	base, regional := listeningOn(banner, "Fabric emulator"), listeningOn(banner, "Regional host")
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
}

// TestSignIn: --sign-in serves the identity provider over HTTPS with the certificate whose
// SPKI hash the banner prints, and the Fabric API then refuses tokens it did not issue.
func TestSignIn(t *testing.T) {
	banner := startRun(t, "--sign-in", "--idp-listen", "127.0.0.1:0")
	base := listeningOn(banner, "Fabric emulator")
	m := regexp.MustCompile(`(?m)^Identity provider .* listening on (https://\S+)`).FindStringSubmatch(banner)
	spki := regexp.MustCompile(`--ignore-certificate-errors-spki-list=(\S+)`).FindStringSubmatch(banner)
	if base == "" || m == nil || spki == nil || !strings.Contains(banner, emulator.DefaultClientID) {
		t.Fatalf("banner lacks the emulator, the identity provider, its SPKI hash or the client id:\n%s", banner)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, // checked below: the certificate must be the one the banner names
		VerifyConnection: func(cs tls.ConnectionState) error {
			sum := sha256.Sum256(cs.PeerCertificates[0].RawSubjectPublicKeyInfo)
			if got := base64.StdEncoding.EncodeToString(sum[:]); got != spki[1] {
				return fmt.Errorf("certificate SPKI %s, banner says %s", got, spki[1])
			}
			return nil
		}}}}
	res, err := client.Get(m[1] + "/organizations/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var meta map[string]any
	json.NewDecoder(res.Body).Decode(&meta)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(meta["token_endpoint"].(string), m[1]+"/") {
		t.Errorf("metadata: %d %v", res.StatusCode, meta)
	}
	req, _ := http.NewRequest("GET", base+"/v1/workspaces", nil)
	req.Header.Set("Authorization", "Bearer dev-token")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 || res.Header.Get("x-ms-public-api-error-code") != "InvalidToken" {
		t.Errorf("dev-token with --sign-in: %d %s, want 401 InvalidToken", res.StatusCode, res.Header.Get("x-ms-public-api-error-code"))
	}
}

// startRun runs the command with args on free ports until the test ends (then checks that
// it shut down cleanly) and returns its banner, up to the control endpoint line.
func startRun(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--listen", "127.0.0.1:0", "--quiet"}, args...), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run after shutdown = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not return after its context ended")
		}
	})
	sc := bufio.NewScanner(pr)
	var banner strings.Builder
	for sc.Scan() {
		banner.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "Control endpoint") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	return banner.String()
}

// listeningOn is the URL a banner line "<prefix> listening on URL" names, or "".
func listeningOn(banner, prefix string) string {
	m := regexp.MustCompile(`(?m)^` + prefix + ` listening on (http://\S+)`).FindStringSubmatch(banner)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestFabricTimings: --fabric-timings gives the spec's timings, except those given as flags.
func TestFabricTimings(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want map[string]any
	}{
		{name: "defaults shortened for demos", args: nil,
			want: map[string]any{"retryAfter": "2s", "jobRetryAfter": "2s", "operationDuration": "6s", "jobDuration": "6s", "cancelDuration": "2s"}},
		{name: "spec timings", args: []string{"--fabric-timings"},
			want: map[string]any{"retryAfter": "30s", "jobRetryAfter": "1m0s", "operationDuration": "1m0s", "jobDuration": "2m0s", "cancelDuration": "30s"}},
		{name: "a flag given wins", args: []string{"--fabric-timings", "--retry-after", "5", "--job-duration", "10s"},
			want: map[string]any{"retryAfter": "5s", "jobRetryAfter": "1m0s", "operationDuration": "1m0s", "jobDuration": "10s", "cancelDuration": "30s"}},
		{name: "list-form job Location", args: []string{"--job-location", "list"}, want: map[string]any{"jobLocation": "list"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := listeningOn(startRun(t, tc.args...), "Fabric emulator")
			res, err := http.Get(base + "/_emulator/config")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var got map[string]any
			if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
	if err := run(context.Background(), []string{"--job-location", "somewhere"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "job location") {
		t.Errorf("--job-location somewhere: %v, want an error naming the job location", err)
	}
}
