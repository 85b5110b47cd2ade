//go:build js && wasm

package jsfetch_test

import (
	"context"
	"fmt"
	"syscall/js"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/jsfetch"
)

// Use the page's fetch as the engine's transport. (Here fetch is a stand-in that answers 201,
// so the example runs under Node without a network.)
func Example() {
	stub := js.FuncOf(func(_ js.Value, args []js.Value) any {
		return js.Global().Get("Promise").Call("resolve",
			js.Global().Get("Response").New(`{"id":"nb1","displayName":"Notebook 1"}`, map[string]any{"status": 201}))
	})
	defer stub.Release()
	orig := js.Global().Get("fetch")
	js.Global().Set("fetch", stub)
	defer js.Global().Set("fetch", orig)

	client := lro.NewClient(lro.Options{
		Transport: jsfetch.New(),
		BaseURL:   "http://127.0.0.1:8787", // the CORS proxy in front of Fabric
		Token:     lro.StaticToken("dev-token"),
	})
	p, err := client.Start(context.Background(), &lro.Request{Method: "POST", URL: "/v1/workspaces/ws1/notebooks", Body: []byte(`{"displayName":"Notebook 1"}`)})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := p.Result()
	fmt.Println(p.Done(), string(res), err)
	// Output: true {"id":"nb1","displayName":"Notebook 1"} <nil>
}
