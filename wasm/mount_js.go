//go:build js && wasm

package main

import (
	"context"
	"strings"
	"syscall/js"
	"time"

	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
)

// mountMethod is the JS API's mount(element, page): a promise, rejected with a TypeError
// when element is not a DOM Element.
func (in *instance) mountMethod(args []js.Value) any {
	element := arg(args, 0)
	if !isElement(element) {
		return js.Global().Get("Promise").Call("reject", js.Global().Get("TypeError").New(
			"fabric-lro: mount(element) needs a DOM Element, such as document.getElementById(\"fabric-ops\"); got "+describeJS(element)))
	}
	in.mount(element, arg(args, 1))
	return js.Global().Get("Promise").Call("resolve")
}

// isElement reports whether v is a DOM Element (an instance of Element where the page has
// one, else an object with nodeType 1 and appendChild).
func isElement(v js.Value) bool {
	if v.Type() != js.TypeObject {
		return false
	}
	if el := js.Global().Get("Element"); el.Type() == js.TypeFunction {
		return v.InstanceOf(el)
	}
	nt := v.Get("nodeType")
	return nt.Type() == js.TypeNumber && nt.Int() == 1 && v.Get("appendChild").Type() == js.TypeFunction
}

// describeJS names a JS value's type for an error message: "undefined", "null", "a string", "an object".
func describeJS(v js.Value) string {
	switch v.Type() {
	case js.TypeUndefined:
		return "undefined"
	case js.TypeNull:
		return "null"
	case js.TypeObject:
		return "an object that is not an Element"
	}
	return "a " + v.Type().String()
}

// mount renders the dashboard into element (fabric-lro.js puts it in a shadow root). page
// (optional): {forms: ["create", "track"], portalUrl}; index.html also turns on the settings
// panel: {settings: true, apiBase, token, onSettings(apiBase, token)}.
func (in *instance) mount(element, page js.Value) {
	if element.Type() != js.TypeObject {
		return
	}
	cfg := dashboard.Config{FormatTime: localeTime(), PortalURL: str(page, "portalUrl"), Probe: in.probe, Forms: formsOf(page)}
	if page.Type() == js.TypeObject && page.Get("settings").Truthy() {
		in.settings(&cfg, page)
	}
	pg := newPage()
	cfg.Frame = pg.Frame
	if in.notify {
		cfg.Notices = newNotices()
	}
	app := dashboard.NewApp(in.tracker, cfg)
	app.Mount(pg, wrap(element))
	in.mu.Lock()
	in.apps = append(in.apps, app)
	in.mu.Unlock()
	go func() {
		for range time.Tick(time.Second) {
			app.Tick()
		}
	}()
}

// formsOf reads page.forms, the forms to show (nil, for the default, when page has none).
func formsOf(page js.Value) []string {
	if page.Type() != js.TypeObject {
		return nil
	}
	f := page.Get("forms")
	if f.Type() != js.TypeObject || f.Get("length").Type() != js.TypeNumber {
		return nil
	}
	forms := []string{}
	for i := range f.Get("length").Int() {
		if v := f.Index(i); v.Type() == js.TypeString {
			forms = append(forms, v.String())
		}
	}
	return forms
}

// settings turns on the settings panel of index.html: the API base and token it shows, what
// answers a probe, and page.onSettings(apiBase, token) when the user applies them.
func (in *instance) settings(cfg *dashboard.Config, page js.Value) {
	token := str(page, "token")
	onSettings := page.Get("onSettings")
	cfg.Settings = true
	cfg.APIBase = in.apiBase
	if shown := str(page, "apiBase"); shown != "" {
		cfg.APIBase = shown // the page may show an API base it proposes but does not use yet
	}
	cfg.Token = token
	cfg.HasToken = func() bool { return token != "" }
	if signedIn := page.Get("hasToken"); signedIn.Type() == js.TypeFunction {
		// A page with sign-in has a token without one pasted in Settings.
		cfg.HasToken = func() bool { return token != "" || signedIn.Invoke().Truthy() }
	}
	cfg.TokenAdvice = str(page, "tokenAdvice")
	shown := token
	cfg.Probe = func(ctx context.Context, apiBase, typed string) dashboard.Probe {
		if apiBase != "" {
			typed = dashboard.ProbeToken(in.apiBase, apiBase, typed, shown)
		}
		return in.probe(ctx, apiBase, typed)
	}
	cfg.OnSettings = func(apiBase, tok string) {
		token = strings.TrimSpace(tok)
		shown = token
		if onSettings.Type() == js.TypeFunction {
			invokeSafely("onSettings", onSettings, apiBase, token)
		}
	}
}

// localeTime formats times with the browser's Intl.DateTimeFormat, in the user's locale and
// time zone (Go's own clock in the browser has no zone). The formatter is made on first use:
// making one loads the locale's data, about 50 ms that a page with nothing to show yet would
// spend before its dashboard appears.
func localeTime() func(time.Time) string {
	var f js.Value // made on first use; the dashboard calls this under its lock
	date := js.Global().Get("Date")
	return func(t time.Time) string {
		if f.IsUndefined() {
			opts := js.Global().Get("Object").New()
			opts.Set("dateStyle", "medium")
			opts.Set("timeStyle", "medium")
			f = js.Global().Get("Intl").Get("DateTimeFormat").New(js.Undefined(), opts)
		}
		return f.Call("format", date.New(float64(t.UnixMilli()))).String()
	}
}
