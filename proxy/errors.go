package proxy

import (
	"crypto/rand"
	"fmt"
	"net/http"
)

// ErrorResponse is the body of every error the proxy itself makes, in the
// shape of Fabric's ErrorResponse, so clients handle them like Fabric's own.
type ErrorResponse struct {
	// ErrorCode is a stable machine-readable code, e.g. "OriginNotAllowed".
	ErrorCode string `json:"errorCode"`
	// Message says what happened and what to do about it.
	Message string `json:"message"`
	// RequestID identifies the request in the proxy's log.
	RequestID string `json:"requestId"`
}

// Error codes of the errors the proxy itself makes.
const (
	CodeInvalidPath             = "InvalidPath"             // 400: a hostile or malformed path
	CodeInvalidRequestBody      = "InvalidRequestBody"      // 400: the request body could not be read
	CodeInvalidHeader           = "InvalidHeader"           // 400: a header a request carries at most once came twice, or is malformed
	CodeOriginNotAllowed        = "OriginNotAllowed"        // 403: Origin not in ALLOWED_ORIGINS
	CodeCORSRequestRefused      = "CORSRequestRefused"      // 403: preflight asked for a method or header the proxy does not pass
	CodeHostNotAllowed          = "HostNotAllowed"          // 403: a regional host not in FABRIC_REDIRECT_HOSTS
	CodeNotFound                = "NotFound"                // 404: not a /v1/... or /operations/{id}[/result] path
	CodeMethodNotAllowed        = "MethodNotAllowed"        // 405: a method Fabric does not use
	CodeRequestTooLarge         = "RequestBodyTooLarge"     // 413: body over MAX_BODY_BYTES
	CodeHeadersTooLarge         = "RequestHeadersTooLarge"  // 431: the headers to forward are over 32 KiB
	CodeUpstreamUnreachable     = "UpstreamUnreachable"     // 502: the upstream could not be reached
	CodeUpstreamTimeout         = "UpstreamTimeout"         // 504: no response headers within UPSTREAM_TIMEOUT
	CodeUpstreamLocationInvalid = "UpstreamLocationInvalid" // 502: the upstream's Location cannot be pointed at the proxy
	CodeProxyMisconfigured      = "ProxyMisconfigured"      // 500: the configuration is invalid
	CodeInternalError           = "ProxyInternalError"      // 500: the proxy failed while serving the request
)

// proxyError is an error answer the proxy makes itself.
type proxyError struct {
	status  int
	code    string
	message string
}

func errBadPath(msg string) *proxyError {
	return &proxyError{http.StatusBadRequest, CodeInvalidPath, "Refused a hostile or malformed path: " + msg + "."}
}

func errNotFound() *proxyError {
	return &proxyError{http.StatusNotFound, CodeNotFound,
		"This proxy forwards only Fabric REST API paths, /v1/... (and GET /operations/{id}[/result]); check the URL."}
}

func errHostNotAllowed(origin string) *proxyError {
	return &proxyError{http.StatusForbidden, CodeHostNotAllowed,
		fmt.Sprintf("The proxy does not forward to %s; if it is a Fabric host, add it to %s.", origin, EnvRedirectHosts)}
}

// InternalError is the 500 answered for a request the proxy failed on (in
// the Worker: its Go instance panicked, exited or trapped), in Fabric's error
// shape. Nothing of the request is in it.
func InternalError() *Response {
	x := &Exchange{st: exchangeState{requestID: newRequestID()}}
	return x.errorResponse(&proxyError{http.StatusInternalServerError, CodeInternalError,
		"The proxy failed while serving this request, which may or may not have reached Fabric; check before repeating a create, and report the request id if it persists."})
}

// ConfigErrorHandler answers every request with ConfigErrorResponse(err).
// The native proxy refuses to start instead; a Worker cannot, so it serves
// this, and the problem shows in the browser rather than as an opaque
// exception.
func ConfigErrorHandler(err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ConfigErrorResponse(err).write(w)
	})
}

// ConfigErrorResponse is the 500 in Fabric's error shape naming err, an
// invalid configuration.
func ConfigErrorResponse(err error) *Response {
	x := &Exchange{st: exchangeState{requestID: newRequestID()}}
	return x.errorResponse(&proxyError{http.StatusInternalServerError, CodeProxyMisconfigured,
		"The proxy's configuration is invalid: " + err.Error() + ". Fix the variable and redeploy."})
}

// newRequestID returns a random UUID (version 4).
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
