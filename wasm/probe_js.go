//go:build js && wasm

package main

import (
	"context"
	"strings"
	"syscall/js"

	"github.com/tidwall/gjson"

	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

// probe asks the browser the three questions of dashboard.Probe about apiBase ("" for the
// instance's own, with a token from getToken).
func (in *instance) probe(ctx context.Context, apiBase, token string) dashboard.Probe {
	if apiBase == "" {
		apiBase = in.apiBase
		if tok, err := in.token(ctx, false); err == nil {
			token = tok
		}
	}
	p := dashboard.Probe{APIBase: apiBase, PageOrigin: js.Global().Get("location").Get("origin").String()}
	fetch := js.Global().Get("fetch")
	get := func(url string, init map[string]any) (js.Value, bool) {
		res, err := await(fetch.Invoke(url, init))
		return res, err == nil
	}
	read := func(res js.Value) (status int, body gjson.Result) {
		status = res.Get("status").Int()
		text, err := await(res.Call("text"))
		if err == nil {
			body = gjson.Parse(text.String())
		}
		return status, body
	}
	headers := map[string]any{}
	if token != "" {
		headers["Authorization"] = "Bearer " + token
	}
	if res, ok := get(apiBase+"/workspaces", map[string]any{"headers": headers, "cache": "no-store"}); ok {
		status, body := read(res)
		p.Answered, p.Status = true, status
		p.ErrorCode, p.Message, p.RequestID = body.Get("errorCode").String(), body.Get("message").String(), body.Get("requestId").String()
		p.Count = int(body.Get("value.#").Int())
		return p
	}
	origin := apiOrigin(apiBase)
	_, p.Listening = get(origin+"/", map[string]any{"mode": "no-cors", "cache": "no-store"})
	if !p.Listening {
		return p
	}
	if res, ok := get(apiBase+"/workspaces", map[string]any{"cache": "no-store"}); ok {
		status, body := read(res)
		p.PlainAnswered, p.PlainStatus, p.PlainCode = true, status, body.Get("errorCode").String()
	}
	return p
}

// apiOrigin is the scheme and host of an API base URL.
func apiOrigin(apiBase string) string {
	scheme, rest, _ := strings.Cut(apiBase, "://")
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return scheme + "://" + rest
}
