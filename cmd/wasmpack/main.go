// Command wasmpack rewrites a Go WebAssembly module's data section so that it compresses well
// (see package internal/wasmpack): ./build.sh runs it on web/app.wasm after go build.
//
//	go run ./cmd/wasmpack web/app.wasm           # in place
//	go run ./cmd/wasmpack -o packed.wasm in.wasm
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/fabric-lro/fabric-lro/internal/wasmpack"
)

func main() {
	out := flag.String("o", "", "where to write the packed module (default: over the input)")
	gap := flag.Int("gap", 1024, "merge data segments separated by fewer zero bytes than this")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: wasmpack [-o out.wasm] [-gap N] module.wasm")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	in := flag.Arg(0)
	if *out == "" {
		*out = in
	}
	module, err := os.ReadFile(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasmpack:", err)
		os.Exit(1)
	}
	packed, st, err := wasmpack.Pack(module, *gap)
	if err != nil {
		fmt.Fprintf(os.Stderr, "wasmpack: %s: %v\n", in, err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, packed, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "wasmpack:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "wasmpack: %s: %d data segments -> %d (%d zero bytes written out), %d -> %d bytes\n",
		*out, st.SegmentsBefore, st.SegmentsAfter, st.ZerosAdded, len(module), len(packed))
}
