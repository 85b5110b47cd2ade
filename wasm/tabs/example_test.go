package tabs_test

import (
	"context"
	"fmt"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/wasm/dashboard"
	"github.com/fabric-lro/fabric-lro/wasm/tabs"
)

// A load() alone (no Group: a browser without BroadcastChannel or Web Locks) leads at once
// and runs the engine itself.
func ExampleOpen() {
	// Fabric, standing in for the browser's fetch: every item is created at once (201).
	fabric := lro.TransportFunc(func(ctx context.Context, req *lro.Request) (*lro.Response, error) {
		return &lro.Response{StatusCode: 201, Body: []byte(`{"id":"item-1","type":"Notebook","displayName":"Sales","workspaceId":"ws-1"}`)}, nil
	})
	ctx, stop := context.WithCancel(context.Background())
	defer stop() // the engine stops with ctx
	m, err := tabs.Open(ctx, tabs.Config{
		APIBase:   "https://api.fabric.microsoft.com/v1",
		Transport: fabric,
		Token:     lro.StaticToken("a bearer token").Token,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := m.CreateItem(ctx, "ws-1", dashboard.ItemRequest{Type: "Notebook", DisplayName: "Sales"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Label, s.Status, len(m.Operations()))
	// Output: Create Notebook “Sales” Succeeded 1
}
