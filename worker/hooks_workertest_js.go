//go:build js && wasm && workertest

package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"unsafe"

	"github.com/fabric-lro/fabric-lro/proxy"
)

// The workertest build (go build -tags workertest ./worker) is the Worker
// plus the hooks the end-to-end tests and bench/ use; the real build has
// none of them (hooks_js.go). A request with the header
// X-Fabric-Lro-Test-Fault makes begin fail that way:
//
//	panic  panic in the call (recovered: 500, the instance goes on)
//	crash  panic in a goroutine the call starts (not recoverable: the program dies)
//	exit   os.Exit(3)
//	trap   a WebAssembly trap (a load far outside linear memory)
//
// GET /_test/instance answers this instance's random id, and GET
// /_test/memory its memory figures (runtime.MemStats).

// instanceID tells instances apart.
var instanceID = func() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}()

// testHooks answers the workertest build's own paths and injects its faults;
// ok false lets begin serve the request.
func testHooks(arg string) (answer string, ok bool) {
	f, ok := fields(arg, 3)
	if !ok {
		return "", false
	}
	target := incoming(f[0], f[1], f[2])
	switch target.Target {
	case "/_test/instance":
		return testAnswer(`{"instance":"` + instanceID + `"}`), true
	case "/_test/memory":
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		b, _ := json.Marshal(map[string]uint64{
			"sys": m.Sys, "heapAlloc": m.HeapAlloc, "heapSys": m.HeapSys, "numGC": uint64(m.NumGC),
			"goroutines": uint64(runtime.NumGoroutine()),
		})
		return testAnswer(string(b)), true
	}
	switch strings.ToLower(target.Header.Get("X-Fabric-Lro-Test-Fault")) {
	case "panic":
		panic("test fault: panic")
	case "crash":
		done := make(chan struct{})
		go func() {
			defer close(done)
			var m map[string]int
			m["crash"] = 1 // a nil map write: a runtime panic nobody recovers
		}()
		<-done
	case "exit":
		os.Exit(3)
	case "trap":
		var b byte
		far := unsafe.Slice(&b, 1<<31) // far past the end of linear memory
		sink = far[1<<31-1]            // the load traps
	}
	return "", false
}

var sink byte

// testAnswer is a 200 with a JSON body, encoded for worker.mjs.
func testAnswer(body string) string {
	h := map[string][]string{"Content-Type": {"application/json"}}
	return encodeAnswer(&proxy.Response{Status: 200, Header: h, Body: []byte(body)})
}
