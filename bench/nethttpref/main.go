// Command nethttpref is the size reference of the bench harness: the smallest browser
// program that calls an API with net/http instead of the browser's fetch. bench builds it
// for GOOS=js GOARCH=wasm and compares its size with web/app.wasm.
package main

import (
	"fmt"
	"io"
	"net/http"
)

func main() {
	resp, err := http.Get("http://127.0.0.1:8787/v1/workspaces")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, len(b))
}
