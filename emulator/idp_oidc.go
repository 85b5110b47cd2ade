package emulator

// The identity provider's OpenID Connect endpoints other than the token endpoint: metadata,
// keys, authorize, logout; and Entra's error answers.

import (
	"crypto/rand"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// IdentityProvider returns the handler of the identity-provider mode: an OpenID Connect
// authority with Entra ID's v2.0 paths under /{tenant}/, to be served over HTTPS (MSAL.js
// refuses http authorities; see NewTestCertificate). It answers 404 to everything when the
// Server was configured without Config.Identity.
func (s *Server) IdentityProvider() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.idpMetadata)
	mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", s.idpKeys)
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", s.idpAuthorize)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.idpToken)
	mux.HandleFunc("OPTIONS /{tenant}/oauth2/v2.0/token", s.idpToken)
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/logout", s.idpLogout)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.idp == nil {
			http.Error(w, "the emulator runs without its identity provider (start it with --sign-in)", http.StatusNotFound)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
		if s.logf != nil {
			s.logf("identity %s %s", r.Method, r.URL.Path) // never the query: it holds codes
		}
	})
}

func writeAAD(w http.ResponseWriter, status int, e aadError) {
	writeJSON(w, status, e)
}

func (s *Server) idpMetadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	tenant := r.PathValue("tenant")
	if !s.idp.tenant(tenant) {
		writeAAD(w, http.StatusBadRequest, errUnknownTenant(s, tenant))
		return
	}
	base := "https://" + r.Host
	at := base + "/" + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                base + "/" + s.idp.cfg.TenantID + "/v2.0",
		"authorization_endpoint":                at + "/oauth2/v2.0/authorize",
		"token_endpoint":                        at + "/oauth2/v2.0/token",
		"end_session_endpoint":                  at + "/oauth2/v2.0/logout",
		"jwks_uri":                              at + "/discovery/v2.0/keys",
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"response_modes_supported":              []string{"query", "fragment"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"none"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "nbf", "name", "preferred_username", "oid", "tid", "nonce", "ver"},
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   r.Host,
		"request_uri_parameter_supported":       false,
	})
}

func (s *Server) idpKeys(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, map[string]any{"keys": []jwk{publicJWK(&s.idp.key.PublicKey, s.idp.kid)}})
}

// idpAuthorize signs the configured user in at once (a test identity provider has no form)
// and sends a one-time code to the redirect URI, for the authorization code flow with PKCE.
// Errors go to the redirect URI as Entra sends them (error, error_description) when the URI
// can be trusted, else to a page.
func (s *Server) idpAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tenant, clientID, redirectURI := r.PathValue("tenant"), q.Get("client_id"), q.Get("redirect_uri")
	p := s.idp
	if !p.redirectAllowed(redirectURI) {
		e := s.aad("invalid_request", 50011, fmt.Sprintf("The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.", redirectURI, clientID))
		authorizePage(w, e)
		return
	}
	mode := q.Get("response_mode")
	if mode == "" {
		mode = "query"
	}
	back := func(v url.Values) {
		v.Set("state", q.Get("state"))
		sep := "?"
		if mode == "fragment" {
			sep = "#"
		} else if strings.Contains(redirectURI, "?") {
			sep = "&"
		}
		http.Redirect(w, r, redirectURI+sep+v.Encode(), http.StatusFound)
	}
	fail := func(e aadError) {
		back(url.Values{"error": {e.Error}, "error_description": {e.ErrorDescription}, "error_uri": {e.ErrorURI}})
	}
	if mode != "query" && mode != "fragment" {
		fail(s.aad("invalid_request", 900144, "The response_mode '"+mode+"' is not supported by the emulator; use query or fragment."))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case !p.tenant(tenant):
		fail(errUnknownTenant(s, tenant))
	case !p.knownClient(clientID):
		fail(errUnknownClient(s, clientID))
	case q.Get("response_type") != "code":
		fail(s.aad("unsupported_response_type", 700054, "The emulator supports response_type 'code' only (authorization code flow with PKCE)."))
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		fail(s.aad("invalid_request", 9002325, "Proof Key for Code Exchange is required for cross-origin authorization code redemption: send code_challenge with code_challenge_method S256."))
	case q.Get("prompt") == "none" && !p.session:
		p.stats.LoginRequired++
		fail(s.aad("login_required", 50058, "A silent sign-in request was sent but no user is signed in."))
	default:
		if q.Get("prompt") == "none" {
			p.stats.SilentAuthorizations++
		} else {
			p.stats.Authorizations++
			p.session = true
		}
		code := randomToken()
		p.codes[code] = &authCode{clientID: clientID, redirectURI: redirectURI, challenge: q.Get("code_challenge"),
			nonce: q.Get("nonce"), scope: q.Get("scope"), expires: time.Now().Add(codeLifetime)}
		back(url.Values{"code": {code}, "client_info": {p.clientInfo()}, "session_state": {s.newID()}})
	}
}

// authorizePage shows an error that cannot go back to the redirect URI, as Entra's sign-in
// page does.
func authorizePage(w http.ResponseWriter, e aadError) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, "<!doctype html><title>Sign in: error</title><h1>Sorry, but we're having trouble signing you in.</h1><p id=\"error\">%s</p>\n",
		html.EscapeString(e.ErrorDescription))
}

// idpLogout ends the user's session at the identity provider, then goes back to
// post_logout_redirect_uri when it is a redirect URI the provider accepts.
func (s *Server) idpLogout(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.idp.session = false
	s.mu.Unlock()
	if back := r.URL.Query().Get("post_logout_redirect_uri"); back != "" && s.idp.redirectAllowed(back) {
		http.Redirect(w, r, back, http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, "<!doctype html><title>Signed out</title><p>You signed out. You can close this window.</p>\n")
}

// aadError is the error body of Entra's token endpoint.
type aadError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri,omitempty"`
	Suberror         string `json:"suberror,omitempty"`
}

// randomGUID is a version 4 GUID from crypto/rand (aad may be called with or without s.mu).
func randomGUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// aad builds an Entra error: code is the OAuth error, n the AADSTS number.
func (s *Server) aad(code string, n int, message string) aadError {
	trace := randomGUID()
	return aadError{Error: code, ErrorDescription: fmt.Sprintf("AADSTS%d: %s Trace ID: %s", n, message, trace),
		ErrorCodes: []int{n}, Timestamp: time.Now().UTC().Format("2006-01-02 15:04:05Z"), TraceID: trace, CorrelationID: randomGUID(),
		ErrorURI: fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", n)}
}

func errUnknownTenant(s *Server, tenant string) aadError {
	return s.aad("invalid_request", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenant))
}

func errUnknownClient(s *Server, clientID string) aadError {
	return s.aad("unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID))
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return b64url.EncodeToString(b)
}
