//go:build !js

// The net/http adapter is for native programs; under js/wasm net/http runs on a simulated
// network, so these tests run on the host only.

package nethttp_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/fabric-lro/fabric-lro/emulator"
	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/fabric-lro/fabric-lro/lro/nethttp"
)

// Create a notebook in the local Fabric emulator over net/http and wait for the result.
// Against Fabric itself, leave BaseURL empty and give a TokenSource with a real Entra token.
func Example() {
	srv := httptest.NewServer(emulator.New(emulator.Config{CreateMode: emulator.CreateSync}))
	defer srv.Close()

	client := lro.NewClient(lro.Options{
		Transport: nethttp.New(srv.Client()),
		BaseURL:   srv.URL,
		Token:     lro.StaticToken("dev-token"),
	})
	ctx := context.Background()
	poller, err := client.Start(ctx, &lro.Request{
		Method: "POST",
		URL:    "/v1/workspaces/" + emulator.DefaultWorkspaceID + "/notebooks",
		Body:   []byte(`{"displayName":"Notebook 1"}`),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	result, err := poller.PollUntilDone(ctx)
	fmt.Println(poller.Status(), len(result) > 0, err)
	// Output: Succeeded true <nil>
}
