//go:build js && wasm

package main

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"syscall/js"
	"unsafe"

	"github.com/fabric-lro/fabric-lro/proxy"
	"github.com/syumai/workers/cloudflare"
)

// The Worker's Go side: main builds the proxy from the Worker variables
// (read once, when worker.mjs starts this instance with the isolate's first
// request) and waits; worker.mjs then calls the exported functions below for
// every request of the isolate. JavaScript moves the bytes (fetch, bodies);
// Go decides (see wire.go). The calls are plain WebAssembly exports that
// pass bytes through linear memory, not syscall/js callbacks: a syscall/js
// call costs about 0.13 ms of CPU in workerd before any work is done, an
// export about a tenth of that.

var (
	w      worker
	in     []byte          // the argument worker.mjs writes (fabric_input)
	out    string          // the last call's result (fabric_output)
	logBuf strings.Builder // the last call's log lines (fabric_log)
)

func main() {
	logger := slog.New(&lineHandler{sink: func(line string) {
		logBuf.WriteString(line)
		logBuf.WriteByte('\n')
	}})
	p, _, err := newHandler(workerVar, nil, logger)
	if err != nil {
		w.misconfigured = encodeAnswer(proxy.ConfigErrorResponse(err))
	}
	w.p = p
	select {} // the exports serve for the life of the instance
}

// fabricInput returns a buffer of n bytes for worker.mjs to write a call's
// argument into; it stays valid until the next fabricInput.
//
//go:wasmexport fabric_input
func fabricInput(n int32) unsafe.Pointer {
	if cap(in) < int(n) {
		in = make([]byte, n)
	}
	in = in[:n]
	return unsafe.Pointer(unsafe.SliceData(in))
}

// fabricCall runs call op (0 begin, 1 finish, 2 fail; see wire.go) on the
// argument written after fabricInput and returns its result's length in
// bytes; fabricOutput points at it. A panic is answered 500 and the
// instance goes on. (A Go program that exits or traps cannot answer; then
// worker.mjs answers 500 itself and starts a fresh instance.)
//
//go:wasmexport fabric_call
func fabricCall(op int32) int32 {
	logBuf.Reset()
	arg := string(in)
	out = guard(func() string {
		if w.misconfigured != "" {
			return w.misconfigured
		}
		switch op {
		case 0:
			if answer, ok := testHooks(arg); ok {
				return answer
			}
			return w.begin(arg)
		case 1:
			return w.finish(arg)
		default:
			return w.fail(arg)
		}
	})
	return int32(len(out))
}

// fabricOutput points at the last call's result.
//
//go:wasmexport fabric_output
func fabricOutput() unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(out)) }

// fabricLogLength is the length of the last call's log lines ("" for none).
//
//go:wasmexport fabric_log_length
func fabricLogLength() int32 { return int32(logBuf.Len()) }

// fabricLog points at the last call's log lines; worker.mjs hands them to
// console.log.
//
//go:wasmexport fabric_log
func fabricLog() unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(logBuf.String())) }

// guard runs one call and turns a panic into the 500 answer.
func guard(call func() string) (result string) {
	defer func() {
		if p := recover(); p != nil {
			resp := proxy.InternalError()
			fmt.Fprintf(&logBuf, "level=ERROR msg=\"panic while serving\" requestId=%s panic=%q\n%s",
				resp.Header.Get("requestId"), fmt.Sprint(p), debug.Stack())
			result = encodeAnswer(resp)
		}
	}()
	return call()
}

// workerVar reads a text Worker variable; unset (undefined or, for workerd's
// fromEnvironment bindings, null) reads as "".
func workerVar(name string) string {
	v := cloudflare.GetBinding(name)
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}
