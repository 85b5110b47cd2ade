package main

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fabric-lro/fabric-lro/proxy"
)

// What crosses between worker.mjs and Go is strings, so that one request
// costs a handful of crossings and Go holds no JS value between calls:
//
//	begin(method NUL url NUL headers)            -> answer | forward
//	finish(status NUL headers NUL state)         -> answer | pass
//	fail(failure NUL detail NUL state)           -> answer
//
// (one string per call: each argument that crosses costs a JS value
// reference that Go must finalise)
//	answer  = "A" NUL status NUL headers NUL body
//	forward = "F" NUL method NUL url NUL headers NUL sendBody("1"|"") NUL maxBody NUL timeoutMs NUL state
//	pass    = "P" NUL status NUL headers          (the upstream's body follows)
//
// headers is name "\n" value "\n" for each header (Fetch refuses "\n" in
// both, so no escaping is needed). None of the fields can hold a NUL: header
// values are filtered, URLs are checked by the proxy, bodies are JSON, but
// state, last, is everything after the seventh NUL: proxy.Exchange's text form: Go keeps nothing between the calls of
// one request, so any instance can finish any request.

// parseHeaders turns the flat form into an http.Header. A value JS combined
// with ", " (as Headers does for a repeated name) stays one value.
func parseHeaders(flat string) http.Header {
	h := make(http.Header, strings.Count(flat, "\n")/2)
	for flat != "" {
		name, rest, ok := strings.Cut(flat, "\n")
		if !ok {
			break
		}
		value, rest, _ := strings.Cut(rest, "\n")
		flat = rest
		if name == "" {
			continue
		}
		key := http.CanonicalHeaderKey(name)
		h[key] = append(h[key], value)
	}
	return h
}

// flattenHeaders is parseHeaders' inverse. A name or value holding CR, LF or
// NUL is left out: Fetch's Headers would throw on it.
func flattenHeaders(b *strings.Builder, h http.Header) {
	for name, values := range h {
		if strings.ContainsAny(name, "\r\n\x00") {
			continue
		}
		for _, v := range values {
			if strings.ContainsAny(v, "\r\n\x00") {
				continue
			}
			b.WriteString(name)
			b.WriteByte('\n')
			b.WriteString(v)
			b.WriteByte('\n')
		}
	}
}

// incoming reads begin's arguments: the URL is absolute (workerd's
// request.url), already normalised by the runtime; its path and query are
// passed on as they are.
func incoming(method, rawURL, headers string) proxy.Incoming {
	in := proxy.Incoming{Method: method, Header: parseHeaders(headers), ContentLength: -1}
	scheme, rest, _ := strings.Cut(rawURL, "://")
	host, target := rest, "/"
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		host, target = rest[:i], rest[i:]
		if target[0] == '?' {
			target = "/" + target
		}
	}
	if i := strings.IndexByte(target, '#'); i >= 0 {
		target = target[:i]
	}
	in.Target = target
	in.Self = proxy.SelfOrigin(scheme, host)
	if n, err := strconv.ParseInt(in.Header.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
		in.ContentLength = n
	}
	return in
}

// encodeAnswer is a whole response the Worker sends as it is.
func encodeAnswer(r *proxy.Response) string {
	var b strings.Builder
	b.WriteString("A\x00")
	b.WriteString(strconv.Itoa(r.Status))
	b.WriteByte(0)
	flattenHeaders(&b, r.Header)
	b.WriteByte(0)
	b.Write(r.Body)
	return b.String()
}

// encodeForward is the upstream request the Worker makes.
func encodeForward(x *proxy.Exchange) string {
	state, _ := x.MarshalText()
	var b strings.Builder
	b.WriteString("F\x00")
	b.WriteString(x.Method)
	b.WriteByte(0)
	b.WriteString(x.URL)
	b.WriteByte(0)
	flattenHeaders(&b, x.Header)
	b.WriteByte(0)
	if x.SendBody {
		b.WriteByte('1')
	}
	b.WriteByte(0)
	b.WriteString(strconv.FormatInt(x.MaxBody, 10))
	b.WriteByte(0)
	b.WriteString(strconv.FormatInt(int64(x.Timeout/time.Millisecond), 10))
	b.WriteByte(0)
	b.Write(state)
	return b.String()
}

// encodePass is the status and headers sent with the upstream's body.
func encodePass(r *proxy.Response) string {
	var b strings.Builder
	b.WriteString("P\x00")
	b.WriteString(strconv.Itoa(r.Status))
	b.WriteByte(0)
	flattenHeaders(&b, r.Header)
	return b.String()
}

// failures maps fail's failure names to proxy's.
var failures = map[string]proxy.Failure{
	"unreachable": proxy.FailUnreachable,
	"timeout":     proxy.FailTimeout,
	"tooLarge":    proxy.FailTooLarge,
}

// worker answers the three calls of worker.mjs with p.
type worker struct {
	p             *proxy.Proxy
	misconfigured string // the answer to every call when the configuration is invalid
}

// fields cuts s into n NUL-separated fields, the last one taking the rest.
func fields(s string, n int) ([]string, bool) {
	out := make([]string, 0, n)
	for len(out) < n-1 {
		f, rest, ok := strings.Cut(s, "\x00")
		if !ok {
			return nil, false
		}
		out = append(out, f)
		s = rest
	}
	return append(out, s), true
}

// begin is worker.mjs's first call for a request.
func (w worker) begin(arg string) string {
	f, ok := fields(arg, 3)
	if !ok {
		return encodeAnswer(proxy.InternalError())
	}
	x, answer := w.p.Begin(incoming(f[0], f[1], f[2]))
	if answer != nil {
		return encodeAnswer(answer)
	}
	return encodeForward(x)
}

// finish is the call once the upstream's status and headers are in.
func (w worker) finish(arg string) string {
	f, ok := fields(arg, 3)
	var x proxy.Exchange
	status, err := 0, error(nil)
	if ok {
		status, err = strconv.Atoi(f[0])
	}
	if !ok || err != nil || x.UnmarshalText([]byte(f[2])) != nil {
		return encodeAnswer(proxy.InternalError())
	}
	resp, pass := w.p.Finish(&x, status, parseHeaders(f[1]))
	if pass {
		return encodePass(resp)
	}
	return encodeAnswer(resp)
}

// fail is the call when no upstream response came.
func (w worker) fail(arg string) string {
	f, ok := fields(arg, 3)
	var x proxy.Exchange
	if !ok || x.UnmarshalText([]byte(f[2])) != nil {
		return encodeAnswer(proxy.InternalError())
	}
	why, ok := failures[f[0]]
	if !ok {
		why = proxy.FailUnreachable
	}
	return encodeAnswer(w.p.Fail(&x, why, errors.New(f[1])))
}
