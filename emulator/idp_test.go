package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// testKeys are two RSA keys made once per test binary: the provider's, and another one
// whose signatures the Fabric API must refuse.
var testKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var keys [2]*rsa.PrivateKey
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err) // the machine has no randomness: nothing else would work either
		}
		keys[i] = k
	}
	return keys
})

const (
	testOrigin   = "http://127.0.0.1:8080"
	testRedirect = testOrigin + "/web/signin-redirect.html"
	testVerifier = "a-pkce-code-verifier-that-is-at-least-43-characters-long-0123"
)

// newIdentityEnv is newEnv in the identity-provider mode with the test key.
func newIdentityEnv(t *testing.T, ic IdentityConfig) *env {
	t.Helper()
	ic.Key = testKeys()[0]
	return newEnv(t, Config{Identity: &ic})
}

// idp sends a request to the identity provider at https://login.test.
func (e *env) idp(method, target string, form url.Values, origin string) answer {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, "https://login.test"+target, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	rec := httptest.NewRecorder()
	e.srv.IdentityProvider().ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, body: b}
}

func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return b64url.EncodeToString(sum[:])
}

// authorizeQuery is what MSAL.js sends to the authorize endpoint, with changes.
func authorizeQuery(change func(url.Values)) string {
	q := url.Values{
		"client_id": {DefaultClientID}, "redirect_uri": {testRedirect}, "response_type": {"code"},
		"scope": {FabricAudience + "/.default openid profile offline_access"}, "state": {"st"}, "nonce": {"n-1"},
		"code_challenge": {challenge(testVerifier)}, "code_challenge_method": {"S256"}, "response_mode": {"fragment"},
		"client_info": {"1"},
	}
	if change != nil {
		change(q)
	}
	return q.Encode()
}

// redirectParams are the parameters of the authorize answer's redirect (fragment or query).
func redirectParams(t *testing.T, a answer) (url.Values, *url.URL) {
	t.Helper()
	if a.status != http.StatusFound {
		t.Fatalf("authorize: status %d, want 302: %s", a.status, a.body)
	}
	u, err := url.Parse(a.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	raw := u.Fragment
	if raw == "" {
		raw = u.RawQuery
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return v, u
}

// signIn runs the authorization code flow with PKCE as MSAL.js does and returns the token
// answer.
func (e *env) signIn(t *testing.T, tenant string) map[string]any {
	t.Helper()
	v, _ := redirectParams(t, e.idp("GET", "/"+tenant+"/oauth2/v2.0/authorize?"+authorizeQuery(nil), nil, ""))
	if v.Get("code") == "" || v.Get("state") != "st" || v.Get("client_info") == "" {
		t.Fatalf("authorize gave no code, state or client_info: %v", v)
	}
	a := e.idp("POST", "/"+tenant+"/oauth2/v2.0/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {DefaultClientID},
		"code": {v.Get("code")}, "redirect_uri": {testRedirect}, "code_verifier": {testVerifier}, "scope": {FabricAudience + "/.default openid"}}, testOrigin)
	if a.status != http.StatusOK {
		t.Fatalf("token: %d %s", a.status, a.body)
	}
	return a.json(t)
}

func (e *env) refresh(t *testing.T, rt string) answer {
	t.Helper()
	return e.idp("POST", "/organizations/oauth2/v2.0/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {DefaultClientID},
		"refresh_token": {rt}, "scope": {FabricAudience + "/.default openid offline_access"}}, testOrigin)
}

// wantAAD checks an Entra error answer: status, OAuth error and AADSTS code.
func wantAAD(t *testing.T, a answer, status int, oauthErr, aadsts string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	var e aadError
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("not Entra's error JSON: %s", a.body)
	}
	if e.Error != oauthErr || !strings.HasPrefix(e.ErrorDescription, aadsts+":") || e.TraceID == "" || e.CorrelationID == "" {
		t.Errorf("error %q %q, want %s with %s", e.Error, e.ErrorDescription, oauthErr, aadsts)
	}
}

func TestIdentityMetadata(t *testing.T) {
	e := newIdentityEnv(t, IdentityConfig{})
	cases := []struct {
		name       string
		tenant     string
		wantStatus int
	}{
		{name: "tenant id", tenant: DefaultTenantID, wantStatus: http.StatusOK},
		{name: "tenant domain", tenant: DefaultTenantDomain, wantStatus: http.StatusOK},
		{name: "organizations", tenant: "organizations", wantStatus: http.StatusOK},
		{name: "common", tenant: "common", wantStatus: http.StatusOK},
		{name: "unknown tenant", tenant: "contoso.onmicrosoft.com", wantStatus: http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := e.idp("GET", "/"+tc.tenant+"/v2.0/.well-known/openid-configuration", nil, "")
			if a.header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("metadata without CORS: MSAL.js fetches it from the page")
			}
			if tc.wantStatus != http.StatusOK {
				wantAAD(t, a, tc.wantStatus, "invalid_request", "AADSTS90002")
				return
			}
			m := a.json(t)
			for k, want := range map[string]string{
				"issuer":                 "https://login.test/" + DefaultTenantID + "/v2.0",
				"authorization_endpoint": "https://login.test/" + tc.tenant + "/oauth2/v2.0/authorize",
				"token_endpoint":         "https://login.test/" + tc.tenant + "/oauth2/v2.0/token",
				"jwks_uri":               "https://login.test/" + tc.tenant + "/discovery/v2.0/keys",
				"end_session_endpoint":   "https://login.test/" + tc.tenant + "/oauth2/v2.0/logout",
			} {
				if m[k] != want {
					t.Errorf("%s = %v, want %s", k, m[k], want)
				}
			}
		})
	}
	keys := e.idp("GET", "/organizations/discovery/v2.0/keys", nil, "").json(t)["keys"].([]any)
	if k := keys[0].(map[string]any); len(keys) != 1 || k["kty"] != "RSA" || k["alg"] != "RS256" || k["kid"] == "" {
		t.Errorf("JWKS = %v, want one RS256 key", keys)
	}
}

func TestIdentityAuthorize(t *testing.T) {
	cases := []struct {
		name      string
		tenant    string
		change    func(url.Values)
		session   bool // someone signed in interactively before
		wantPage  bool // an error page: the redirect URI cannot be trusted
		wantError string
		wantQuery bool // the answer is in the query, not the fragment
	}{
		{name: "interactive sign-in", tenant: "organizations"},
		{name: "query response mode", tenant: DefaultTenantID, change: func(q url.Values) { q.Set("response_mode", "query") }, wantQuery: true},
		{name: "no response mode means query", tenant: DefaultTenantID, change: func(q url.Values) { q.Del("response_mode") }, wantQuery: true},
		{name: "silent with a session", tenant: "organizations", change: func(q url.Values) { q.Set("prompt", "none") }, session: true},
		{name: "silent without a session", tenant: "organizations", change: func(q url.Values) { q.Set("prompt", "none") }, wantError: "login_required AADSTS50058"},
		{name: "unknown client id", tenant: "organizations", change: func(q url.Values) { q.Set("client_id", "11111111-2222-3333-4444-555555555555") }, wantError: "unauthorized_client AADSTS700016"},
		{name: "unknown tenant", tenant: "fabrikam.onmicrosoft.com", wantError: "invalid_request AADSTS90002"},
		{name: "no PKCE", tenant: "organizations", change: func(q url.Values) { q.Del("code_challenge") }, wantError: "invalid_request AADSTS9002325"},
		{name: "plain PKCE", tenant: "organizations", change: func(q url.Values) { q.Set("code_challenge_method", "plain") }, wantError: "invalid_request AADSTS9002325"},
		{name: "implicit flow", tenant: "organizations", change: func(q url.Values) { q.Set("response_type", "token") }, wantError: "unsupported_response_type AADSTS700054"},
		{name: "redirect URI not an URL", tenant: "organizations", change: func(q url.Values) { q.Set("redirect_uri", "javascript:alert(1)") }, wantPage: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newIdentityEnv(t, IdentityConfig{})
			if tc.session {
				e.signIn(t, "organizations")
			}
			a := e.idp("GET", "/"+tc.tenant+"/oauth2/v2.0/authorize?"+authorizeQuery(tc.change), nil, "")
			if tc.wantPage {
				if a.status != http.StatusBadRequest || !strings.Contains(string(a.body), "AADSTS50011") {
					t.Fatalf("want a 400 page with AADSTS50011, got %d %s", a.status, a.body)
				}
				return
			}
			v, u := redirectParams(t, a)
			if got := u.Scheme + "://" + u.Host + u.Path; got != testRedirect {
				t.Errorf("redirected to %s, want %s", got, testRedirect)
			}
			if (u.RawQuery != "") != tc.wantQuery {
				t.Errorf("answer in query %q / fragment %q; want it in the query: %v", u.RawQuery, u.Fragment, tc.wantQuery)
			}
			if v.Get("state") != "st" {
				t.Errorf("state = %q, want st", v.Get("state"))
			}
			if tc.wantError != "" {
				code, aadsts, _ := strings.Cut(tc.wantError, " ")
				if v.Get("error") != code || !strings.HasPrefix(v.Get("error_description"), aadsts+":") || v.Get("code") != "" {
					t.Errorf("error %q %q code %q, want %s", v.Get("error"), v.Get("error_description"), v.Get("code"), tc.wantError)
				}
				return
			}
			if v.Get("code") == "" || v.Get("error") != "" {
				t.Errorf("want a code, got %v", v)
			}
		})
	}
}

func TestIdentityToken(t *testing.T) {
	code := func(e *env) string {
		v, _ := redirectParams(t, e.idp("GET", "/organizations/oauth2/v2.0/authorize?"+authorizeQuery(nil), nil, ""))
		return v.Get("code")
	}
	redeem := url.Values{"grant_type": {"authorization_code"}, "client_id": {DefaultClientID}, "redirect_uri": {testRedirect},
		"code_verifier": {testVerifier}, "scope": {FabricAudience + "/.default openid"}}
	cases := []struct {
		name      string
		tenant    string
		change    func(f url.Values)
		origin    string
		twice     bool // redeem the same code a second time
		wantError string
	}{
		{name: "code and verifier", tenant: "organizations", origin: testOrigin},
		{name: "code redeemed twice", tenant: "organizations", origin: testOrigin, twice: true, wantError: "invalid_grant AADSTS70008"},
		{name: "wrong verifier", tenant: "organizations", origin: testOrigin, change: func(f url.Values) { f.Set("code_verifier", "x"+testVerifier) }, wantError: "invalid_grant AADSTS501481"},
		{name: "no verifier", tenant: "organizations", origin: testOrigin, change: func(f url.Values) { f.Del("code_verifier") }, wantError: "invalid_grant AADSTS501481"},
		{name: "other redirect URI", tenant: "organizations", origin: testOrigin, change: func(f url.Values) { f.Set("redirect_uri", testOrigin+"/") }, wantError: "invalid_grant AADSTS70000"},
		{name: "unknown code", tenant: "organizations", origin: testOrigin, change: func(f url.Values) { f.Set("code", "nope") }, wantError: "invalid_grant AADSTS70008"},
		{name: "unknown client id", tenant: "organizations", origin: testOrigin, change: func(f url.Values) { f.Set("client_id", "nope") }, wantError: "unauthorized_client AADSTS700016"},
		{name: "unknown tenant", tenant: "nope.onmicrosoft.com", origin: testOrigin, wantError: "invalid_request AADSTS90002"},
		{name: "not cross-origin", tenant: "organizations", wantError: "invalid_request AADSTS9002327"},
		{name: "client credentials", tenant: "organizations", origin: testOrigin, change: func(f url.Values) { f.Set("grant_type", "client_credentials") }, wantError: "unsupported_grant_type AADSTS70003"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newIdentityEnv(t, IdentityConfig{})
			f := url.Values{}
			for k, v := range redeem {
				f[k] = v
			}
			f.Set("code", code(e))
			if tc.change != nil {
				tc.change(f)
			}
			path := "/" + tc.tenant + "/oauth2/v2.0/token"
			a := e.idp("POST", path, f, tc.origin)
			if tc.twice {
				a = e.idp("POST", path, f, tc.origin)
			}
			if tc.origin != "" && a.header.Get("Access-Control-Allow-Origin") != tc.origin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q (the page reads the answer)", a.header.Get("Access-Control-Allow-Origin"), tc.origin)
			}
			if tc.wantError != "" {
				code, aadsts, _ := strings.Cut(tc.wantError, " ")
				wantAAD(t, a, http.StatusBadRequest, code, aadsts)
				return
			}
			if a.status != http.StatusOK {
				t.Fatalf("token: %d %s", a.status, a.body)
			}
			m := a.json(t)
			for _, k := range []string{"access_token", "refresh_token", "id_token", "client_info"} {
				if s, _ := m[k].(string); s == "" {
					t.Errorf("no %s in %s", k, a.body)
				}
			}
			if want := FabricAudience + "/Workspace.Read.All " + FabricAudience + "/Item.ReadWrite.All " + FabricAudience + "/Item.Execute.All " + FabricAudience + "/.default openid profile offline_access"; m["scope"] != want {
				t.Errorf("scope %q, want %q", m["scope"], want)
			}
			if m["token_type"] != "Bearer" || m["expires_in"] != float64(DefaultAccessTokenLifetime/time.Second) {
				t.Errorf("token_type %v expires_in %v", m["token_type"], m["expires_in"])
			}
			var id map[string]any
			if err := verifyJWT(&testKeys()[0].PublicKey, keyID(&testKeys()[0].PublicKey), m["id_token"].(string), &id); err != nil {
				t.Fatal(err)
			}
			if id["nonce"] != "n-1" || id["aud"] != DefaultClientID || id["tid"] != DefaultTenantID || id["preferred_username"] == "" {
				t.Errorf("id token claims %v", id)
			}
			var at accessClaims
			if err := verifyJWT(&testKeys()[0].PublicKey, keyID(&testKeys()[0].PublicKey), m["access_token"].(string), &at); err != nil {
				t.Fatal(err)
			}
			if at.Aud != FabricAudience || at.Scp != strings.Join(DefaultScopes, " ") || at.Tid != DefaultTenantID || at.Oid == "" || at.Name == "" {
				t.Errorf("access token claims %+v", at)
			}
		})
	}
}

func TestIdentityRefreshAndRevoke(t *testing.T) {
	e := newIdentityEnv(t, IdentityConfig{})
	first := e.signIn(t, "organizations")
	a := e.refresh(t, first["refresh_token"].(string))
	if a.status != http.StatusOK {
		t.Fatalf("refresh: %d %s", a.status, a.body)
	}
	second := a.json(t)
	if second["access_token"] == first["access_token"] {
		t.Errorf("a refresh gave the same access token")
	}
	// Refresh tokens rotate: the first one is used up.
	wantAAD(t, e.refresh(t, first["refresh_token"].(string)), http.StatusBadRequest, "invalid_grant", "AADSTS50173")

	if a := e.do("POST", "/_emulator/identity/revoke", ""); a.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", a.status, a.body)
	}
	wantAAD(t, e.refresh(t, second["refresh_token"].(string)), http.StatusBadRequest, "invalid_grant", "AADSTS50173")
	// The session ended too: a silent authorization (MSAL.js's hidden iframe) needs the user.
	v, _ := redirectParams(t, e.idp("GET", "/organizations/oauth2/v2.0/authorize?"+authorizeQuery(func(q url.Values) { q.Set("prompt", "none") }), nil, ""))
	if v.Get("error") != "login_required" {
		t.Errorf("silent authorization after revoke: %v, want login_required", v)
	}
	// Signing in again works.
	e.signIn(t, "organizations")
	st := e.srv.IdentityStats()
	want := IdentityStats{Authorizations: 2, LoginRequired: 1, CodeGrants: 2, RefreshGrants: 1, RefusedGrants: 2}
	if st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
}

func TestIdentityFabricTokenCheck(t *testing.T) {
	sign := func(key *rsa.PrivateKey, change func(*accessClaims)) func(*env) string {
		return func(e *env) string {
			now := time.Now()
			c := accessClaims{Aud: FabricAudience, Iat: now.Unix(), Exp: now.Add(time.Hour).Unix(), Scp: strings.Join(DefaultScopes, " "), Tid: DefaultTenantID}
			if change != nil {
				change(&c)
			}
			tok, err := signJWT(key, keyID(&key.PublicKey), c)
			if err != nil {
				e.t.Fatal(err)
			}
			return tok
		}
	}
	signedIn := func(e *env) string { return e.signIn(e.t, "organizations")["access_token"].(string) }
	own, other := testKeys()[0], testKeys()[1]
	create := [3]string{"POST", notebooksPath(), `{"displayName":"N"}`}
	list := [3]string{"GET", "/v1/workspaces", ""}
	cases := []struct {
		name     string
		ic       IdentityConfig
		token    func(*env) string
		before   func(*env) // after the token is made, before the call
		call     [3]string
		wantCode string // "" means success
	}{
		{name: "signed in: list", token: signedIn, call: list},
		{name: "signed in: create", token: signedIn, call: create},
		{name: "dev token", token: func(*env) string { return "dev-token" }, call: list, wantCode: "InvalidToken"},
		{name: "another key", token: sign(other, nil), call: list, wantCode: "InvalidToken"},
		{name: "another audience", token: sign(own, func(c *accessClaims) { c.Aud = "https://graph.microsoft.com" }), call: list, wantCode: "InvalidToken"},
		{name: "another tenant", token: sign(own, func(c *accessClaims) { c.Tid = "00000000-0000-0000-0000-000000000001" }), call: list, wantCode: "InvalidToken"},
		{name: "tampered claims", token: func(e *env) string {
			parts := strings.Split(signedIn(e), ".")
			c, _ := json.Marshal(accessClaims{Aud: FabricAudience, Exp: time.Now().Add(time.Hour).Unix(), Scp: "Item.ReadWrite.All Workspace.ReadWrite.All", Tid: DefaultTenantID})
			return parts[0] + "." + b64url.EncodeToString(c) + "." + parts[2]
		}, call: list, wantCode: "InvalidToken"},
		{name: "past its lifetime", token: signedIn, before: func(e *env) { time.Sleep(DefaultAccessTokenLifetime) }, call: list, wantCode: "TokenExpired"},
		{name: "just before its end", token: signedIn, before: func(e *env) { time.Sleep(DefaultAccessTokenLifetime - time.Second) }, call: list},
		{name: "expired by the control endpoint", token: signedIn, before: func(e *env) { e.do("POST", "/_emulator/identity/expire", "") }, call: list, wantCode: "TokenExpired"},
		{name: "lifetime set by the control endpoint", token: func(e *env) string {
			e.do("PUT", "/_emulator/identity", `{"accessTokenLifetime":"30s"}`)
			return signedIn(e)
		}, before: func(e *env) { time.Sleep(30 * time.Second) }, call: list, wantCode: "TokenExpired"},
		{name: "read-only scopes cannot create", ic: IdentityConfig{Scopes: []string{"Workspace.Read.All", "Item.Read.All"}}, token: signedIn, call: create, wantCode: "InsufficientScopes"},
		{name: "workspace scope does not create items", ic: IdentityConfig{Scopes: []string{"Workspace.ReadWrite.All"}}, token: signedIn, call: create, wantCode: "InsufficientScopes"},
		{name: "the type's own scope creates", ic: IdentityConfig{Scopes: []string{"Notebook.ReadWrite.All"}}, token: signedIn, call: create},
		{name: "no scope reads no workspaces", ic: IdentityConfig{Scopes: []string{"Item.Execute.All"}}, token: signedIn, call: list, wantCode: "InsufficientScopes"},
		{name: "any valid token polls an operation", ic: IdentityConfig{Scopes: []string{"Item.Execute.All"}}, token: signedIn,
			call: [3]string{"GET", "/v1/operations/00000000-0000-4000-8000-000000000000", ""}, wantCode: "OperationNotFound"},
		{name: "running a job needs Execute", ic: IdentityConfig{Scopes: []string{"Item.ReadWrite.All", "Workspace.Read.All"}}, token: signedIn,
			call: [3]string{"POST", "/v1/workspaces/" + ws + "/items/00000000-0000-4000-8000-000000000000/jobs/RunNotebook/instances", ""}, wantCode: "InsufficientScopes"},
	}
	status := map[string]int{"InvalidToken": 401, "TokenExpired": 401, "InsufficientScopes": 403, "OperationNotFound": 404}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newIdentityEnv(t, tc.ic)
				tok := tc.token(e)
				if tc.before != nil {
					tc.before(e)
				}
				a := e.doToken(tok, tc.call[0], tc.call[1], tc.call[2])
				if tc.wantCode == "" {
					if a.status >= 400 {
						t.Fatalf("want success, got %d %s", a.status, a.body)
					}
					return
				}
				m := wantError(t, a, status[tc.wantCode], tc.wantCode)
				if strings.Contains(m["message"].(string), tok) {
					t.Errorf("the error message quotes the token")
				}
				if a.status == 401 && a.header.Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
			})
		})
	}
}

// Without Config.Identity, the token modes of before stay: any token is accepted, and the
// identity provider and its control endpoint say how to turn the mode on.
func TestIdentityOffByDefault(t *testing.T) {
	e := newEnv(t, Config{})
	if a := e.doToken("anything-at-all", "GET", "/v1/workspaces", ""); a.status != http.StatusOK {
		t.Fatalf("any token: %d %s", a.status, a.body)
	}
	if a := e.idp("GET", "/organizations/v2.0/.well-known/openid-configuration", nil, ""); a.status != http.StatusNotFound {
		t.Errorf("identity provider without the mode: %d", a.status)
	}
	wantError(t, e.do("POST", "/_emulator/identity/revoke", ""), http.StatusNotFound, "EntityNotFound")
}

func TestIdentityControlRefusesBadLifetime(t *testing.T) {
	e := newIdentityEnv(t, IdentityConfig{})
	for _, body := range []string{`{"accessTokenLifetime":"0s"}`, `{"accessTokenLifetime":"-1s"}`, `not json`} {
		if a := e.do("PUT", "/_emulator/identity", body); a.status != http.StatusBadRequest {
			t.Errorf("PUT %s: %d, want 400", body, a.status)
		}
	}
}

func TestTestCertificate(t *testing.T) {
	c, err := NewTestCertificate()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.X509.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	if err := c.X509.VerifyHostname("localhost"); err != nil {
		t.Error(err)
	}
	if len(c.SPKIHash) != 44 {
		t.Errorf("SPKIHash %q is not a base64 SHA-256", c.SPKIHash)
	}
}
