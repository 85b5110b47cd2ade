//go:build js && wasm

package main

import (
	"encoding/json"
	"strings"
	"sync"
	"syscall/js"
	"testing"
)

// fakeFabric replaces globalThis.fetch with scripted Fabric answers for the life of a test.
type fakeFabric struct {
	mu       sync.Mutex
	auth     []string // Authorization headers seen
	requests []string // "METHOD URL"
	bodies   []string
	polls    int
}

func installFakeFabric(t *testing.T) *fakeFabric {
	t.Helper()
	f := &fakeFabric{}
	old := js.Global().Get("fetch")
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		url, init := args[0].String(), args[1]
		method := init.Get("method").String()
		f.mu.Lock()
		f.auth = append(f.auth, init.Get("headers").Call("get", "authorization").String())
		f.requests = append(f.requests, method+" "+url)
		if b := init.Get("body"); !b.IsUndefined() {
			f.bodies = append(f.bodies, js.Global().Get("TextDecoder").New().Call("decode", b).String())
		}
		status, headers, body := f.answer(method, url)
		f.mu.Unlock()
		h := js.Global().Get("Object").New()
		for k, v := range headers {
			h.Set(k, v)
		}
		opts := js.Global().Get("Object").New()
		opts.Set("status", status)
		opts.Set("headers", h)
		var b any = body
		if body == "" {
			b = nil
		}
		return js.Global().Get("Promise").Call("resolve", js.Global().Get("Response").New(b, opts))
	})
	js.Global().Set("fetch", fn)
	t.Cleanup(func() {
		js.Global().Set("fetch", old)
		fn.Release()
	})
	return f
}

const fakeBase = "https://proxy.test/v1"

// answer plays Fabric: create answers 202, the operation runs for one poll, then succeeds
// with a result. f.mu is held.
func (f *fakeFabric) answer(method, url string) (int, map[string]string, string) {
	switch {
	case method == "GET" && url == fakeBase+"/workspaces":
		return 200, nil, `{"value":[{"id":"ws-1","displayName":"One","type":"Workspace"}]}`
	case method == "POST" && url == fakeBase+"/workspaces/ws-1/items":
		return 202, map[string]string{"Location": fakeBase + "/operations/op-1", "x-ms-operation-id": "op-1", "Retry-After": "0"}, ""
	case method == "GET" && url == fakeBase+"/operations/op-1":
		f.polls++
		if f.polls == 1 {
			return 200, map[string]string{"Location": fakeBase + "/operations/op-1", "Retry-After": "0"},
				`{"status":"Running","createdTimeUtc":"2026-01-01T00:00:00Z","lastUpdatedTimeUtc":"2026-01-01T00:00:01Z","percentComplete":50}`
		}
		return 200, map[string]string{"Location": fakeBase + "/operations/op-1/result"},
			`{"status":"Succeeded","createdTimeUtc":"2026-01-01T00:00:00Z","lastUpdatedTimeUtc":"2026-01-01T00:00:03Z","percentComplete":100}`
	case method == "GET" && url == fakeBase+"/operations/op-1/result":
		return 200, nil, `{"id":"item-1","type":"Notebook","displayName":"Sales","workspaceId":"ws-1"}`
	}
	return 404, map[string]string{"x-ms-public-api-error-code": "EntityNotFound"}, `{"errorCode":"EntityNotFound","message":"not scripted","requestId":"rq-404"}`
}

// salesNotebook is createItem's item: the notebook "Sales", which the fake Fabric creates.
func salesNotebook() js.Value {
	item := js.Global().Get("Object").New()
	item.Set("type", "Notebook")
	item.Set("displayName", "Sales")
	return item
}

// call invokes a method of a JS object and waits for the promise it returns.
func call(t *testing.T, obj js.Value, name string, args ...any) (js.Value, error) {
	t.Helper()
	return await(obj.Call(name, args...))
}

func jsonText(v js.Value) string { return js.Global().Get("JSON").Call("stringify", v).String() }

// openAPI opens an instance on the fake Fabric with token "tok-1".
func openAPI(t *testing.T, extra map[string]any) js.Value {
	t.Helper()
	opts := js.Global().Get("Object").New()
	opts.Set("apiBase", fakeBase)
	getToken := js.FuncOf(func(js.Value, []js.Value) any {
		return js.Global().Get("Promise").Call("resolve", "tok-1")
	})
	t.Cleanup(getToken.Release)
	opts.Set("getToken", getToken)
	for k, v := range extra {
		opts.Set(k, v)
	}
	api, err := await(registry().Call("open", opts))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return api
}

func TestOpenRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name    string
		apiBase any
		token   bool
		want    string
	}{
		{name: "no apiBase", apiBase: nil, token: true, want: "InvalidApiBase"},
		{name: "relative apiBase", apiBase: "/v1", token: true, want: "InvalidApiBase"},
		{name: "not http", apiBase: "ftp://x/v1", token: true, want: "InvalidApiBase"},
		{name: "no getToken", apiBase: fakeBase, token: false, want: "InvalidTokenSource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := js.Global().Get("Object").New()
			if tt.apiBase != nil {
				opts.Set("apiBase", tt.apiBase)
			}
			if tt.token {
				fn := js.FuncOf(func(js.Value, []js.Value) any { return "x" })
				defer fn.Release()
				opts.Set("getToken", fn)
			}
			p := registry().Call("open", opts)
			// Read the rejection's errorCode through JS, as a caller would.
			var code string
			done := make(chan struct{})
			onErr := js.FuncOf(func(_ js.Value, args []js.Value) any {
				code = args[0].Get("errorCode").String()
				close(done)
				return nil
			})
			onOK := js.FuncOf(func(js.Value, []js.Value) any { close(done); return nil })
			defer onErr.Release()
			defer onOK.Release()
			p.Call("then", onOK, onErr)
			<-done
			if code != tt.want {
				t.Errorf("open rejected with errorCode %q, want %q", code, tt.want)
			}
		})
	}
}

func TestCreateItemWaitAndSubscribe(t *testing.T) {
	fab := installFakeFabric(t)
	api := openAPI(t, map[string]any{"persist": false})

	sub, seen := statusRecorder(t)
	unsubscribe := api.Call("subscribe", sub)
	if unsubscribe.Type() != js.TypeFunction {
		t.Fatalf("subscribe returned %v, want a function", unsubscribe.Type())
	}

	item := salesNotebook()
	item.Set("description", "from the test")
	first, err := call(t, api, "createItem", "ws-1", item)
	if err != nil {
		t.Fatalf("createItem: %v", err)
	}
	if got := first.Get("id").String(); got != "op-1" {
		t.Errorf("createItem resolved to id %q, want op-1", got)
	}
	if got := first.Get("kind").String(); got != "operation" {
		t.Errorf("kind %q", got)
	}
	final, err := call(t, api, "wait", "op-1")
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	checkFinalSnapshot(t, final)
	if got := api.Call("operations").Length(); got != 1 {
		t.Errorf("operations() has %d entries, want 1", got)
	}
	checkCreateSent(t, fab)

	if got := seen(); !strings.HasSuffix(got, "Succeeded") || !strings.Contains(got, "Running") {
		t.Errorf("subscriber saw %q, want Running then Succeeded", got)
	}
	unsubscribe.Invoke()
}

// checkFinalSnapshot checks the JS API's snapshot JSON of the created notebook, Succeeded:
// exactly its 12 fields.
func checkFinalSnapshot(t *testing.T, final js.Value) {
	t.Helper()
	var snap map[string]any
	if err := json.Unmarshal([]byte(jsonText(final)), &snap); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "kind", "label", "status", "percentComplete", "createdTimeUtc", "lastUpdatedTimeUtc", "nextPollAt", "waiting", "attempts", "result", "error"} {
		if _, ok := snap[k]; !ok {
			t.Errorf("final snapshot lacks %q: %s", k, jsonText(final))
		}
	}
	if len(snap) != 12 {
		t.Errorf("final snapshot has %d fields, want exactly 12: %s", len(snap), jsonText(final))
	}
	if snap["status"] != "Succeeded" || snap["nextPollAt"] != nil || snap["waiting"] != nil || snap["error"] != nil {
		t.Errorf("final snapshot %s", jsonText(final))
	}
	if got := final.Get("result").Get("displayName").String(); got != "Sales" {
		t.Errorf("result displayName %q", got)
	}
}

// checkCreateSent checks what reached Fabric: every request with getToken's token, and one
// create with the item's name and description.
func checkCreateSent(t *testing.T, fab *fakeFabric) {
	t.Helper()
	fab.mu.Lock()
	defer fab.mu.Unlock()
	for _, a := range fab.auth {
		if a != "Bearer tok-1" {
			t.Errorf("Authorization %q, want the token from getToken", a)
		}
	}
	if len(fab.bodies) != 1 || !strings.Contains(fab.bodies[0], `"displayName":"Sales"`) || !strings.Contains(fab.bodies[0], `"description":"from the test"`) {
		t.Errorf("create body %q", fab.bodies)
	}
}

func TestTrackUnknownAndBadInput(t *testing.T) {
	installFakeFabric(t)
	api := openAPI(t, map[string]any{"persist": false})
	if _, err := call(t, api, "track", 42); err == nil || !strings.Contains(err.Error(), "InvalidRequest") {
		t.Errorf("track(42): %v, want InvalidRequest", err)
	}
	item := js.Global().Get("Object").New()
	if _, err := call(t, api, "createItem", "ws-1", item); err == nil || !strings.Contains(err.Error(), "InvalidRequest") {
		t.Errorf("createItem without type: %v, want InvalidRequest", err)
	}
	if _, err := call(t, api, "wait", "nope"); err == nil || !strings.Contains(err.Error(), "OperationNotTracked") {
		t.Errorf("wait(unknown): %v, want OperationNotTracked", err)
	}
}

func TestOperationsPersistAcrossInstances(t *testing.T) {
	installFakeFabric(t)
	m := fakeLocalStorage(t)
	api := openAPI(t, nil)
	if _, err := call(t, api, "createItem", "ws-1", salesNotebook()); err != nil {
		t.Fatal(err)
	}
	if _, err := call(t, api, "wait", "op-1"); err != nil {
		t.Fatal(err)
	}
	saved := m.Call("get", "fabric-lro/operations "+fakeBase)
	if saved.Type() != js.TypeString || strings.Contains(saved.String(), "tok-1") {
		t.Fatalf("saved %v: want the operation, never the token", saved)
	}

	again := openAPI(t, nil) // a reload
	ops := again.Call("operations")
	if ops.Length() != 1 || ops.Index(0).Get("status").String() != "Succeeded" ||
		ops.Index(0).Get("result").Get("displayName").String() != "Sales" {
		t.Errorf("after reload operations() = %s", jsonText(ops))
	}
}

// statusRecorder is a JS subscriber that records the status of each snapshot it gets, and
// what it recorded, joined by commas.
func statusRecorder(t *testing.T) (js.Func, func() string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		mu.Lock()
		seen = append(seen, args[0].Get("status").String())
		mu.Unlock()
		return nil
	})
	t.Cleanup(fn.Release)
	return fn, func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(seen, ",")
	}
}

// captureConsoleError records console.error calls for the life of a test.
func captureConsoleError(t *testing.T) func() []string {
	t.Helper()
	console := js.Global().Get("console")
	old := console.Get("error")
	var mu sync.Mutex
	var got []string
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		parts := make([]string, len(args))
		for i, a := range args {
			parts[i] = jsString(a)
		}
		mu.Lock()
		got = append(got, strings.Join(parts, " "))
		mu.Unlock()
		return nil
	})
	console.Set("error", fn)
	t.Cleanup(func() {
		console.Set("error", old)
		fn.Release()
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

func TestThrowingSubscriberIsReportedAndOthersCarryOn(t *testing.T) {
	installFakeFabric(t)
	errors := captureConsoleError(t)
	api := openAPI(t, map[string]any{"persist": false})

	api.Call("subscribe", js.Global().Get("Function").New("s", `throw new Error("subscriber boom " + s.status)`))
	good, seen := statusRecorder(t)
	api.Call("subscribe", good)

	if _, err := call(t, api, "createItem", "ws-1", salesNotebook()); err != nil {
		t.Fatal(err)
	}
	final, err := call(t, api, "wait", "op-1")
	if err != nil {
		t.Fatalf("wait after a throwing subscriber: %v", err)
	}
	if got := final.Get("status").String(); got != "Succeeded" {
		t.Errorf("final status %q, want Succeeded", got)
	}
	if got := seen(); !strings.HasSuffix(got, "Succeeded") {
		t.Errorf("the well-behaved subscriber saw %q, want it to reach Succeeded", got)
	}
	logged := strings.Join(errors(), "\n")
	if !strings.Contains(logged, "a subscribe callback threw") || !strings.Contains(logged, "subscriber boom Succeeded") {
		t.Errorf("console.error got %q, want the subscriber's exception reported", logged)
	}
}

func TestMountRejectsNonElements(t *testing.T) {
	installFakeFabric(t)
	api := openAPI(t, map[string]any{"persist": false})
	for _, tc := range []struct {
		name string
		arg  any
	}{
		{name: "empty object", arg: js.Global().Get("Object").New()},
		{name: "undefined", arg: js.Undefined()},
		{name: "null", arg: js.Null()},
		{name: "string", arg: "#fabric-ops"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := api.Call("mount", tc.arg)
			var reason js.Value
			done := make(chan struct{})
			onErr := js.FuncOf(func(_ js.Value, args []js.Value) any { reason = arg(args, 0); close(done); return nil })
			onOK := js.FuncOf(func(js.Value, []js.Value) any { close(done); return nil })
			defer onErr.Release()
			defer onOK.Release()
			p.Call("then", onOK, onErr)
			<-done
			if reason.IsUndefined() || !reason.InstanceOf(js.Global().Get("TypeError")) {
				t.Fatalf("mount(%s) settled with %v, want a TypeError rejection", tc.name, jsString(reason))
			}
			if msg := reason.Get("message").String(); !strings.Contains(msg, "needs a DOM Element") {
				t.Errorf("message %q", msg)
			}
		})
	}
	// Still alive: the module answers calls.
	if got := api.Call("operations").Length(); got != 0 {
		t.Errorf("operations() = %d after bad mounts", got)
	}
}

func TestStorageQuotaErrorIsReported(t *testing.T) {
	installFakeFabric(t)
	logged := captureConsoleError(t)
	ls := js.Global().Get("Object").New()
	ls.Set("getItem", js.Global().Get("Function").New("k", "return null"))
	ls.Set("setItem", js.Global().Get("Function").New("k", "v", `throw new DOMException("The quota has been exceeded.", "QuotaExceededError")`))
	ls.Set("removeItem", js.Global().Get("Function").New("k", ""))
	js.Global().Set("localStorage", ls)
	defer js.Global().Delete("localStorage")

	api := openAPI(t, nil)
	if _, err := call(t, api, "createItem", "ws-1", salesNotebook()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(logged(), "\n"); !strings.Contains(got, "could not be saved") {
		t.Errorf("console.error got %q, want the failed save reported", got)
	}
	if got := api.Call("retry").Int(); got != 0 {
		t.Errorf("retry() = %d with nothing waiting for a token", got)
	}
}
