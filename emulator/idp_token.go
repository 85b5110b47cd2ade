package emulator

// The identity provider's token endpoint, the tokens it issues, and the Fabric API's check of
// them.

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// idpToken redeems an authorization code (with its PKCE verifier) or a refresh token.
func (s *Server) idpToken(w http.ResponseWriter, r *http.Request) {
	if s.idp.tokenCORS(w, r) {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeAAD(w, http.StatusBadRequest, s.aad("invalid_request", 900144, "The request body must be application/x-www-form-urlencoded: "+err.Error()))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	scope, nonce, refused := s.redeemGrant(r, now)
	if refused != nil {
		s.idp.stats.RefusedGrants++
		writeAAD(w, http.StatusBadRequest, *refused)
		return
	}
	answer, err := s.idp.issueTokens(r.Host, r.PostForm.Get("client_id"), scope, nonce, now)
	if err != nil {
		s.idp.stats.RefusedGrants++
		writeAAD(w, http.StatusInternalServerError, s.aad("server_error", 90100, "The emulator could not sign a token: "+err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// tokenCORS lets the origin of a registered redirect URI read the token endpoint's answers,
// and answers the CORS preflight (answered is true then).
func (p *idp) tokenCORS(w http.ResponseWriter, r *http.Request) (answered bool) {
	if o := p.corsOrigin(r.Header.Get("Origin")); o != "" {
		w.Header().Set("Access-Control-Allow-Origin", o)
		w.Header().Add("Vary", "Origin")
	}
	if r.Method != http.MethodOptions {
		return false
	}
	w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	if h := r.Header.Get("Access-Control-Request-Headers"); h != "" {
		w.Header().Set("Access-Control-Allow-Headers", h)
	}
	w.Header().Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// redeemGrant checks a token request's tenant, client and origin (single-page applications
// redeem cross-origin only), then redeems its authorization code or refresh token: the scope
// asked for, and the sign-in's nonce for a code. Call with s.mu held.
func (s *Server) redeemGrant(r *http.Request, now time.Time) (scope, nonce string, refused *aadError) {
	p, f := s.idp, r.PostForm
	tenant, clientID := r.PathValue("tenant"), f.Get("client_id")
	switch {
	case !p.tenant(tenant):
		return "", "", ptr(errUnknownTenant(s, tenant))
	case !p.knownClient(clientID):
		return "", "", ptr(errUnknownClient(s, clientID))
	case r.Header.Get("Origin") == "":
		return "", "", ptr(s.aad("invalid_request", 9002327, "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests."))
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		return s.redeemCode(f, clientID, now)
	case "refresh_token":
		scope, refused := s.redeemRefresh(f, clientID)
		return scope, "", refused
	}
	return "", "", ptr(s.aad("unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+f.Get("grant_type")+"'; the emulator supports authorization_code and refresh_token."))
}

// redeemCode redeems an authorization code, once: it must be unexpired, issued to this client
// and redirect URI, and match the PKCE verifier. Call with s.mu held.
func (s *Server) redeemCode(f url.Values, clientID string, now time.Time) (scope, nonce string, refused *aadError) {
	p := s.idp
	c := p.codes[f.Get("code")]
	delete(p.codes, f.Get("code")) // one use only
	switch {
	case c == nil || now.After(c.expires):
		return "", "", ptr(s.aad("invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."))
	case c.clientID != clientID || c.redirectURI != f.Get("redirect_uri"):
		return "", "", ptr(s.aad("invalid_grant", 70000, "The provided value for the 'code' parameter is not valid: it was issued to another client or redirect URI."))
	case pkceChallenge(f.Get("code_verifier")) != c.challenge:
		return "", "", ptr(s.aad("invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request."))
	}
	p.stats.CodeGrants++
	return c.scope, c.nonce, nil
}

// redeemRefresh redeems a refresh token of this client, once (rotated, as Entra does for
// single-page applications): the scope asked for, else the one first granted. Call with
// s.mu held.
func (s *Server) redeemRefresh(f url.Values, clientID string) (scope string, refused *aadError) {
	p := s.idp
	g := p.refresh[f.Get("refresh_token")]
	if g == nil || g.clientID != clientID {
		return "", ptr(s.aad("invalid_grant", 50173, "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password, or an administrator revoked their sessions."))
	}
	delete(p.refresh, f.Get("refresh_token"))
	scope = f.Get("scope")
	if scope == "" {
		scope = g.scope
	}
	p.stats.RefreshGrants++
	return scope, nil
}

// issueTokens is the answer of a granted token request: an access token for the Fabric API
// with the granted scopes, an ID token carrying nonce, and a new refresh token. host is the
// provider's, for the ID token's issuer. Call with s.mu held.
func (p *idp) issueTokens(host, clientID, scope, nonce string, now time.Time) (map[string]any, error) {
	granted := p.grantedScopes(scope)
	lifetime := p.lifetime
	u := p.cfg.User
	uti := randomToken()[:22]
	p.issued = append(p.issued, uti)
	access, err := signJWT(p.key, p.kid, accessClaims{Aud: FabricAudience, Iss: "https://sts.windows.net/" + p.cfg.TenantID + "/",
		Iat: now.Unix(), Nbf: now.Unix(), Exp: now.Add(lifetime).Unix(), AppID: clientID, Scp: strings.Join(granted, " "),
		Tid: p.cfg.TenantID, Oid: u.ObjectID, Sub: u.ObjectID, Name: u.Name, UPN: u.Username, Ver: "1.0", UTI: uti})
	if err != nil {
		return nil, err
	}
	id, err := signJWT(p.key, p.kid, map[string]any{"aud": clientID, "iss": "https://" + host + "/" + p.cfg.TenantID + "/v2.0",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "sub": u.ObjectID, "oid": u.ObjectID,
		"tid": p.cfg.TenantID, "name": u.Name, "preferred_username": u.Username, "nonce": nonce, "ver": "2.0"})
	if err != nil {
		return nil, err
	}
	rt := randomToken()
	p.refresh[rt] = &grant{clientID: clientID, scope: scope}
	secs := int(lifetime / time.Second)
	return map[string]any{
		"token_type": "Bearer", "scope": scopeString(granted, scope), "expires_in": secs, "ext_expires_in": secs,
		"access_token": access, "refresh_token": rt, "refresh_token_expires_in": 86400, "id_token": id, "client_info": p.clientInfo(),
	}, nil
}

// accessClaims are the claims of an access token for the Fabric API (Entra's v1 format, which
// Fabric's resource gets).
type accessClaims struct {
	Aud   string `json:"aud"`
	Iss   string `json:"iss"`
	Iat   int64  `json:"iat"`
	Nbf   int64  `json:"nbf"`
	Exp   int64  `json:"exp"`
	AppID string `json:"appid"`
	Scp   string `json:"scp"`
	Tid   string `json:"tid"`
	Oid   string `json:"oid"`
	Sub   string `json:"sub"`
	Name  string `json:"name"`
	UPN   string `json:"upn"`
	Ver   string `json:"ver"`
	UTI   string `json:"uti"`
}

// grantedScopes are the Fabric permissions granted for a requested scope string: all the
// consented ones for "https://api.fabric.microsoft.com/.default", else the consented ones
// among those named.
func (p *idp) grantedScopes(requested string) []string {
	var out []string
	for _, sc := range strings.Fields(requested) {
		name, ok := strings.CutPrefix(sc, FabricAudience+"/")
		if !ok {
			continue
		}
		if name == ".default" {
			return slices.Clone(p.cfg.Scopes)
		}
		if slices.Contains(p.cfg.Scopes, name) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// scopeString is the scope field of a token answer: the granted Fabric permissions as URLs,
// the "/.default" scope when it was asked for (MSAL.js finds a cached token by the scopes it
// asked for), and the OpenID scopes that were asked for.
func scopeString(granted []string, requested string) string {
	var out []string
	for _, g := range granted {
		out = append(out, FabricAudience+"/"+g)
	}
	for _, sc := range strings.Fields(requested) {
		if sc == FabricAudience+"/.default" || sc == "openid" || sc == "profile" || sc == "offline_access" || sc == "email" {
			out = append(out, sc)
		}
	}
	return strings.Join(out, " ")
}

// pkceChallenge is the S256 code challenge of verifier (RFC 7636).
func pkceChallenge(verifier string) string {
	if verifier == "" {
		return "\x00" // never equal to a challenge
	}
	sum := sha256.Sum256([]byte(verifier))
	return b64url.EncodeToString(sum[:])
}

// checkAccessToken verifies a bearer token in the identity-provider mode: an RS256 signature
// by the provider's key, the Fabric audience, not expired, and the scope the request needs.
// Call with s.mu held.
func (s *Server) checkAccessToken(r *http.Request, token string, now time.Time) *apiError {
	p := s.idp
	var c accessClaims
	invalid := func(why string) *apiError {
		p.stats.InvalidToken++
		e := newAPIError(http.StatusUnauthorized, "InvalidToken", "Access token is invalid: "+why+". Sign in again to get a token for "+FabricAudience+".")
		e.headers = http.Header{"Www-Authenticate": {`Bearer error="invalid_token"`}}
		return e
	}
	if err := verifyJWT(&p.key.PublicKey, p.kid, token, &c); err != nil {
		return invalid(err.Error())
	}
	if c.Aud != FabricAudience && c.Aud != FabricAudience+"/" {
		return invalid("its audience is " + strconv.Quote(c.Aud) + ", not " + FabricAudience)
	}
	if c.Tid != p.cfg.TenantID {
		return invalid("it was issued for another tenant")
	}
	if now.Unix() >= c.Exp || p.expired[c.UTI] {
		p.stats.TokenExpired++
		e := newAPIError(http.StatusUnauthorized, "TokenExpired", "Access token has expired, resubmit with a new access token.")
		e.headers = http.Header{"Www-Authenticate": {`Bearer error="invalid_token", error_description="The access token expired"`}}
		return e
	}
	if need := requiredScopes(r.Method, r.URL.Path); need != nil {
		have := strings.Fields(c.Scp)
		if !slices.ContainsFunc(have, need) {
			p.stats.InsufficientScopes++
			return newAPIError(http.StatusForbidden, "InsufficientScopes",
				fmt.Sprintf("The caller does not have sufficient scopes to perform this operation (%s %s); the token has %q. Add the Fabric API delegated permission it needs to the app registration (for example Item.ReadWrite.All to create items, Item.Execute.All to run jobs), consent to it, and sign in again.",
					r.Method, r.URL.Path, c.Scp))
		}
	}
	return nil
}

// requiredScopes is the test a token's scopes must pass for a request (one scope passing is
// enough), after the "Required Delegated Scopes" of Microsoft's spec; nil when any valid token
// will do (the operation state and result).
func requiredScopes(method, path string) func(string) bool {
	p := strings.TrimPrefix(path, "/v1")
	read := func(s string) bool {
		return strings.HasSuffix(s, ".Read.All") || strings.HasSuffix(s, ".ReadWrite.All")
	}
	switch {
	case strings.HasPrefix(p, "/operations/"):
		return nil
	case strings.Contains(p, "/jobs/"):
		if method == http.MethodGet {
			return func(s string) bool { return read(s) || strings.HasSuffix(s, ".Execute.All") }
		}
		return func(s string) bool { return strings.HasSuffix(s, ".Execute.All") }
	case method == http.MethodGet:
		return read
	default:
		// Create, update and delete items: Item.ReadWrite.All or the type's own (Notebook.ReadWrite.All).
		return func(s string) bool {
			return strings.HasSuffix(s, ".ReadWrite.All") && !strings.HasPrefix(s, "Workspace.")
		}
	}
}
