// Command fabric-emulator runs the in-memory Fabric API of package emulator on a local
// address, for the dashboard demo and for trying Fabric clients without a tenant.
//
//	go run ./cmd/fabric-emulator --listen 127.0.0.1:8790
//
// With --regional-listen 127.0.0.1:8791 the same emulator also answers there,
// as a regional host like Fabric's *.analysis.windows.net, and the
// regionalLocation fault points Location at it:
//
//	go run ./cmd/fabric-emulator --regional-listen 127.0.0.1:8791 --fault kind=regionalLocation
//
// --help lists every flag with its default.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/fabric-lro/fabric-lro/emulator"
)

// faultFlags collects repeated --fault flags.
type faultFlags []emulator.FaultRule

// String is part of flag.Value.
func (f *faultFlags) String() string { return "" }

// Set parses one --fault rule.
func (f *faultFlags) Set(v string) error {
	rule, err := emulator.ParseFaultRule(v)
	if err != nil {
		return err
	}
	*f = append(*f, rule)
	return nil
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "fabric-emulator:", err)
		os.Exit(1)
	}
}

// run parses args, serves until ctx ends or SIGINT/SIGTERM arrives, then shuts down.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	logger := log.New(stderr, "fabric-emulator: ", log.LstdFlags)
	if !o.quiet {
		o.cfg.Logf = logger.Printf
	}
	listeners, err := o.openListeners()
	defer func() {
		for _, ln := range listeners {
			ln.Close() // already closed by Shutdown when serving; harmless
		}
	}()
	if err != nil {
		return err
	}
	// One Server, so an operation started on one address can be polled on the other.
	emu := emulator.New(o.cfg)
	if o.signIn {
		idpSrv, err := o.serveIdentityProvider(emu, stdout)
		if err != nil {
			return err
		}
		defer idpSrv.Close()
	}
	if o.regionalAddr != "" {
		fmt.Fprintf(stdout, "Regional host listening on http://%s (the regionalLocation fault points Location at %s)\n",
			listeners[1].Addr(), o.cfg.RegionalBaseURL)
	}
	printBanner(stdout, "http://"+listeners[0].Addr().String(), o.signIn)
	return serve(ctx, &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}, listeners, logger)
}

// options is the command line: the emulator's Config and where to serve it.
type options struct {
	cfg          emulator.Config
	addr         string // --listen
	regionalAddr string // --regional-listen, or ""
	quiet        bool
	signIn       bool
	idpAddr      string
	tenantID     string
	clientID     string
}

// flagValues are the flags that are converted into the Config once parsed.
type flagValues struct {
	mode, jobLocation, scopes string
	retry, jobRetry           int
	fabricTimings             bool
	lifetime                  time.Duration
	faults                    faultFlags
}

// parseArgs reads the command line into a valid options (flag.ErrHelp for --help).
func parseArgs(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("fabric-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	v := defineFlags(fs, &o)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q; see --help", fs.Args())
	}
	v.configure(fs, &o)
	return o, o.cfg.Validate()
}

// defineFlags defines every flag of fs, writing into o, or into the flagValues returned for
// those that need converting.
func defineFlags(fs *flag.FlagSet, o *options) *flagValues {
	v := &flagValues{}
	cfg := &o.cfg
	fs.StringVar(&o.addr, "listen", "127.0.0.1:8790", "address to listen on (host:port)")
	fs.StringVar(&o.regionalAddr, "regional-listen", "", "second address (host:port) serving the same emulator as a regional host, like Fabric's *.analysis.windows.net; sets --regional-base-url to http://ADDR unless that is given (default none)")
	fs.BoolVar(&o.quiet, "quiet", false, "do not log one line per request (default false: log)")
	fs.IntVar(&v.retry, "retry-after", int(emulator.DefaultRetryAfter/time.Second), "Retry-After seconds of 202 answers and running operations (Fabric's examples use 20 to 60)")
	fs.IntVar(&v.jobRetry, "job-retry-after", 0, "Retry-After seconds of a job's 202, its cancel and its GETs while it runs (default 0: --retry-after; Fabric's examples use 60)")
	fs.BoolVar(&v.fabricTimings, "fabric-timings", false, "the timings of Fabric's examples for every timing flag not given: Retry-After 30 s for operations and 60 s for jobs, operations of 1m, jobs of 2m, cancels of 30s (default false: shortened for demos)")
	fs.StringVar(&v.jobLocation, "job-location", string(emulator.JobLocationInstance), "Location of a job's 202: instance (.../jobs/instances/{id}), list (.../jobs/instances?jobType=X, RunOnDemandItemJob3.json) or alternate")
	fs.IntVar(&cfg.ThrottleLimit, "throttle-limit", 0, "requests per token per --throttle-window before 429 (default 0: no throttling)")
	fs.IntVar(&cfg.PageSize, "page-size", emulator.DefaultPageSize, "entries per page of every list")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "seed of the ID and fault generators (same seed, same run); 0: random, so IDs never repeat across runs")
	fs.BoolVar(&o.signIn, "sign-in", false, "identity-provider mode: serve an OpenID Connect authority like Entra ID's on --idp-listen over HTTPS (certificate made at start), and accept only the tokens it signs (default false: any token)")
	fs.StringVar(&o.idpAddr, "idp-listen", "127.0.0.1:8792", "address of the identity provider with --sign-in (host:port)")
	fs.StringVar(&o.clientID, "client-id", emulator.DefaultClientID, "client id of the emulated app registration, with --sign-in")
	fs.StringVar(&o.tenantID, "tenant-id", emulator.DefaultTenantID, "id of the emulated tenant, with --sign-in (its domain "+emulator.DefaultTenantDomain+", organizations and common also work)")
	fs.DurationVar(&v.lifetime, "access-token-lifetime", emulator.DefaultAccessTokenLifetime, "lifetime of the access tokens the identity provider issues, with --sign-in (also PUT /_emulator/identity)")
	fs.StringVar(&v.scopes, "scopes", strings.Join(emulator.DefaultScopes, ","), "comma-separated Fabric delegated permissions the emulated user consented to, with --sign-in")
	fs.DurationVar(&cfg.OperationDuration, "operation-duration", emulator.DefaultOperationDuration, "time an operation takes from NotStarted to Succeeded/Failed")
	fs.DurationVar(&cfg.JobDuration, "job-duration", emulator.DefaultJobDuration, "time a job instance runs before Completed/Failed")
	fs.DurationVar(&cfg.CancelDuration, "cancel-duration", emulator.DefaultCancelDuration, "time a job stays InProgress after its cancel was accepted, before Cancelled")
	fs.StringVar(&v.mode, "create-mode", string(emulator.CreateAlternate), "201 or 202 on create: alternate (1st 201, 2nd 202, ...), sync, async, definition (202 iff a definition is sent)")
	fs.StringVar(&cfg.FailPattern, "fail-pattern", emulator.DefaultFailPattern, "regexp: items whose displayName matches end in a Failed operation; jobs of items whose displayName or description matches end Failed")
	fs.DurationVar(&cfg.TokenTTL, "token-ttl", 0, "a bearer token expires this long after its first use: 401 TokenExpired (default 0: never)")
	fs.DurationVar(&cfg.ThrottleWindow, "throttle-window", emulator.DefaultThrottleWindow, "throttling window of --throttle-limit")
	fs.StringVar(&cfg.RegionalBaseURL, "regional-base-url", "", "base URL (http://host:port) the regionalLocation fault points Location at (default none; also settable via PUT /_emulator/config)")
	fs.StringVar(&cfg.Scheme, "scheme", "http", "scheme of the absolute Location URLs (they use the request's Host)")
	fs.BoolVar(&cfg.StrictRetryAfter, "strict-retry-after", false, "answer 429 to a poll of an operation or job sooner than its Retry-After said (default false)")
	fs.Var(&v.faults, "fault", "fault rule, repeatable: kind=429|500|503|tokenExpired|drop|dropAfter|slow|malformed|noRetryAfter|httpDateRetryAfter|noLocation|locationWithoutV1|undefinedStatus|regionalLocation[,method=GET][,path=/v1/operations][,after=N][,count=N][,p=0.5][,delay=5s][,retryAfter=N][,status=X] (default none)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "fabric-emulator: an in-memory Microsoft Fabric REST API (workspaces, items, operations, jobs).\n\nUsage: fabric-emulator [flags]\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nControl endpoint while it runs: GET/PUT /_emulator/config, GET/PUT/POST/DELETE /_emulator/faults, POST /_emulator/reset;\nwith --sign-in also GET/PUT /_emulator/identity, POST /_emulator/identity/revoke and /_emulator/identity/expire.\n")
	}
	return v
}

// configure completes o.cfg from the parsed flags that need converting: create mode, job
// location, Retry-After seconds, --fabric-timings (for the timing flags not given), faults and
// the identity provider.
func (v *flagValues) configure(fs *flag.FlagSet, o *options) {
	cfg := &o.cfg
	cfg.CreateMode = emulator.CreateMode(v.mode)
	cfg.JobLocation = emulator.JobLocation(v.jobLocation)
	cfg.RetryAfter = time.Duration(v.retry) * time.Second
	cfg.JobRetryAfter = time.Duration(v.jobRetry) * time.Second
	if v.fabricTimings {
		// The spec's timings, except where a flag was given.
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		for name, d := range map[string]*time.Duration{"retry-after": &cfg.RetryAfter, "job-retry-after": &cfg.JobRetryAfter,
			"operation-duration": &cfg.OperationDuration, "job-duration": &cfg.JobDuration, "cancel-duration": &cfg.CancelDuration} {
			if !given[name] {
				*d = 0
			}
		}
		*cfg = emulator.FabricTimings(*cfg)
	}
	cfg.Faults = v.faults
	if o.signIn {
		cfg.Identity = &emulator.IdentityConfig{TenantID: o.tenantID, ClientIDs: []string{o.clientID},
			AccessTokenLifetime: v.lifetime, Scopes: strings.Split(v.scopes, ",")}
	}
}

// openListeners listens on --listen and, when given, --regional-listen, which is then where
// the regionalLocation fault points unless --regional-base-url says otherwise. The listeners
// opened come back even with an error, to be closed.
func (o *options) openListeners() ([]net.Listener, error) {
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, err
	}
	listeners := []net.Listener{ln}
	if o.regionalAddr != "" {
		rln, err := net.Listen("tcp", o.regionalAddr)
		if err != nil {
			return listeners, fmt.Errorf("--regional-listen: %w", err)
		}
		listeners = append(listeners, rln)
		if o.cfg.RegionalBaseURL == "" {
			o.cfg.RegionalBaseURL = "http://" + rln.Addr().String()
		}
	}
	return listeners, nil
}

// serveIdentityProvider serves emu's identity provider over HTTPS on --idp-listen, with a
// certificate made now, and says how to reach and trust it.
func (o *options) serveIdentityProvider(emu *emulator.Server, stdout io.Writer) (*http.Server, error) {
	host, _, _ := net.SplitHostPort(o.idpAddr)
	cert, err := emulator.NewTestCertificate(host, "127.0.0.1", "localhost")
	if err != nil {
		return nil, err
	}
	iln, err := net.Listen("tcp", o.idpAddr)
	if err != nil {
		return nil, fmt.Errorf("--idp-listen: %w", err)
	}
	idpSrv := &http.Server{Handler: emu.IdentityProvider(), ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert.Certificate}, MinVersion: tls.VersionTLS12}}
	go idpSrv.ServeTLS(iln, "", "")
	printIdentityBanner(stdout, "https://"+iln.Addr().String(), o.tenantID, o.clientID, cert.SPKIHash)
	return idpSrv, nil
}

// serve serves srv on every listener until one fails, or ctx ends or SIGINT/SIGTERM arrives;
// then it shuts srv down, waiting 5 s at most for the requests in flight.
func serve(ctx context.Context, srv *http.Server, listeners []net.Listener, logger *log.Logger) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, len(listeners))
	for _, l := range listeners {
		go func() { errc <- srv.Serve(l) }()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Printf("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	for range listeners {
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	return nil
}

// printIdentityBanner says where the identity provider is and how a browser trusts it.
func printIdentityBanner(w io.Writer, base, tenant, clientID, spki string) {
	fmt.Fprintf(w, `Identity provider (OpenID Connect, like Entra ID) listening on %[1]s
  authority %[1]s/%[2]s   client id %[3]s
  Its certificate was made at start. Open %[1]s/%[2]s/v2.0/.well-known/openid-configuration once and accept it,
  or start Chromium with --ignore-certificate-errors-spki-list=%[4]s
  The Fabric API accepts only the tokens it issues.
`, base, tenant, clientID, spki)
}

// printBanner says how to reach the emulator, with a copy-paste curl walkthrough.
func printBanner(w io.Writer, base string, signIn bool) {
	tokens := "Any bearer token works; the dashboard uses dev-token."
	if signIn {
		tokens = "Only the identity provider's tokens work (--sign-in): the curl lines below get 401 InvalidToken."
	}
	fmt.Fprintf(w, `Fabric emulator listening on %[1]s
Default workspace ID: %[2]s
%[3]s

Try it with curl (create a notebook, watch its operation, fetch its result):
  FABRIC=%[1]s/v1 WS=%[2]s AUTH='Authorization: Bearer dev-token' JSON='Content-Type: application/json'
  curl -s -X POST "$FABRIC/workspaces/$WS/notebooks" -H "$AUTH" -H "$JSON" -d '{"displayName":"Notebook 1"}'   # 201 Created
  OP=$(curl -s -D - -o /dev/null -X POST "$FABRIC/workspaces/$WS/notebooks" -H "$AUTH" -H "$JSON" -d '{"displayName":"Notebook 2"}' | awk 'tolower($1)=="x-ms-operation-id:" {print $2}' | tr -d '\r')   # 202 Accepted
  curl -si "$FABRIC/operations/$OP" -H "$AUTH"         # again every Retry-After seconds, until "Succeeded"
  curl -s "$FABRIC/operations/$OP/result" -H "$AUTH"   # the notebook
Control endpoint (faults, timings, reset): %[1]s/_emulator/
`, strings.TrimRight(base, "/"), emulator.DefaultWorkspaceID, tokens)
}
