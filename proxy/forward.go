package proxy

// The native side of an exchange: the request sent upstream with net/http, its body held to
// the limit, and the answer streamed back. The Worker does this part in JavaScript.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

// forward sends the request upstream with net/http and streams the answer back.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, x *Exchange) {
	var body *limitedBody
	if x.SendBody {
		var perr *proxyError
		if body, perr = requestBody(r, x.MaxBody); perr != nil {
			p.answerError(w, x, perr)
			return
		}
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	out, err := http.NewRequestWithContext(ctx, x.Method, x.URL, nil)
	if err != nil { // unreachable: resolve only builds valid URLs
		p.answerError(w, x, errBadPath("the URL could not be built"))
		return
	}
	out.URL = x.url // keep RawPath and the query exactly as sent
	if body != nil {
		out.Body = body
		out.ContentLength = body.length
	}
	out.Header = x.Header

	resp, err := p.roundTrip(ctx, cancel, out)
	if err != nil {
		why, cause := failureOf(err, body, r.Context())
		if answer := p.Fail(x, why, cause); answer != nil {
			answer.write(w)
		}
		return
	}
	defer resp.Body.Close()
	p.writeAnswer(w, x, resp)
}

// answerError answers the caller with perr without calling the upstream, and logs it.
func (p *Proxy) answerError(w http.ResponseWriter, x *Exchange, perr *proxyError) {
	resp := x.errorResponse(perr)
	p.log(x, resp.Status)
	resp.write(w)
}

// failureOf says why no answer came for Fail: the body went over the limit, the upstream
// timed out, the caller left (callerCtx ended), or the upstream could not be reached; then
// only the cause is kept, as the error's URL would carry the query into the log.
func failureOf(err error, body *limitedBody, callerCtx context.Context) (Failure, error) {
	switch {
	case body != nil && body.exceeded.Load():
		return FailTooLarge, err
	case errors.Is(err, errTimeout):
		return FailTimeout, err
	case callerCtx.Err() != nil:
		return FailCanceled, err
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return FailUnreachable, err
}

// writeAnswer writes Finish's answer to the upstream's response, streaming the upstream's
// body when Finish passes it on.
func (p *Proxy) writeAnswer(w http.ResponseWriter, x *Exchange, resp *http.Response) {
	answer, passBody := p.Finish(x, resp.StatusCode, resp.Header)
	if !passBody {
		answer.write(w)
		return
	}
	h := w.Header()
	for name, values := range answer.Header {
		h[name] = values
	}
	w.WriteHeader(answer.Status)
	if _, err := io.Copy(w, resp.Body); err != nil {
		p.s.logger.Warn("fabric proxy: response body cut short", "requestId", x.st.requestID, "error", err.Error())
	}
}

var errTimeout = errors.New("upstream timeout")

// roundTrip runs the transport and stops waiting after the timeout even if
// the transport ignores the context (the Worker's fetch does). Only the wait
// for the response headers is bounded; the body streams without a deadline.
func (p *Proxy) roundTrip(ctx context.Context, cancel context.CancelFunc, out *http.Request) (*http.Response, error) {
	done := make(chan roundTripResult, 1)
	go func() {
		resp, err := p.s.transport.RoundTrip(out)
		done <- roundTripResult{resp, err}
	}()
	timer := time.NewTimer(p.s.timeout)
	defer timer.Stop()
	select {
	case res := <-done:
		return res.resp, res.err
	case <-timer.C:
		cancel()
		go drain(done)
		return nil, errTimeout
	case <-ctx.Done():
		go drain(done)
		return nil, ctx.Err()
	}
}

type roundTripResult struct {
	resp *http.Response
	err  error
}

// drain closes the body of an answer that came too late.
func drain(done <-chan roundTripResult) {
	if res := <-done; res.resp != nil {
		res.resp.Body.Close()
	}
}

func errTooLarge(limit int64) *proxyError {
	return &proxyError{http.StatusRequestEntityTooLarge, CodeRequestTooLarge,
		"The request body is larger than this proxy's limit of " + strconv.FormatInt(limit, 10) + " bytes (" + EnvMaxBodyBytes + ")."}
}

// limitedBody passes a request body on and fails once it exceeds the limit.
type limitedBody struct {
	r        io.Reader
	c        io.Closer
	left     int64
	length   int64 // declared length, or -1 when unknown
	exceeded atomic.Bool
}

// Read reads up to one byte past the limit, so an exact-limit body passes and
// a longer one fails (and is marked exceeded) before it is sent on in full.
func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		b.exceeded.Store(true)
		return 0, errors.New("request body exceeds " + EnvMaxBodyBytes)
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		b.exceeded.Store(true)
		return 0, errors.New("request body exceeds " + EnvMaxBodyBytes)
	}
	return n, err
}

// Close closes the caller's body.
func (b *limitedBody) Close() error { return b.c.Close() }

// requestBody returns the body to send upstream, or nil for none. A declared
// length within the limit streams (the HTTP server holds the caller to it;
// Begin refused one over it).
func requestBody(r *http.Request, maxBody int64) (*limitedBody, *proxyError) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > 0 {
		return &limitedBody{r: r.Body, c: r.Body, left: maxBody, length: r.ContentLength}, nil
	}
	// Unknown length (chunked): read it all, up to one byte past the limit, so a
	// body over the limit never reaches the upstream, not even in part, and an
	// empty one is sent as none. (The Worker's worker.mjs does the same.)
	buf, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	switch {
	case int64(len(buf)) > maxBody:
		return nil, errTooLarge(maxBody)
	case err != nil:
		return nil, &proxyError{http.StatusBadRequest, CodeInvalidRequestBody, "The request body could not be read: " + err.Error() + "."}
	case len(buf) == 0:
		return nil, nil
	}
	return &limitedBody{r: bytes.NewReader(buf), c: r.Body, left: maxBody, length: int64(len(buf))}, nil
}
