package wasmpack

import (
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// module builds a WebAssembly module: a memory section, the given data section body (nil for
// none) and a custom section after it, so that the test sees the sections around it kept.
func module(data []byte, extra ...[]byte) []byte {
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	m = append(m, 5, 3, 1, 0, 1) // memory section: one memory, min 1 page
	for _, sec := range extra {
		m = append(m, sec...)
	}
	if data != nil {
		m = append(m, sectionData)
		m = appendUleb(m, uint64(len(data)))
		m = append(m, data...)
	}
	m = append(m, 0, 4, 3, 'x', 'y', 'z') // custom section "xyz", empty
	return m
}

// active encodes data segments as Go's linker writes them: active, memory 0, i32.const offset.
func active(segs ...segment) []byte {
	b := appendUleb(nil, uint64(len(segs)))
	for _, s := range segs {
		b = append(b, 0, 0x41)
		b = appendSleb(b, s.offset)
		b = append(b, 0x0b)
		b = appendUleb(b, uint64(len(s.data)))
		b = append(b, s.data...)
	}
	return b
}

// memoryImage is linear memory after instantiation: zeros, then each segment in order.
func memoryImage(t *testing.T, m []byte) []byte {
	t.Helper()
	r := reader{b: m, i: 8}
	mem := make([]byte, 1<<16)
	for r.i < len(m) {
		id, _ := r.byte()
		n, _ := r.uleb()
		body, err := r.bytes(n)
		if err != nil {
			t.Fatalf("module does not parse: %v", err)
		}
		if id != sectionData {
			continue
		}
		segs, err := parseData(body)
		if err != nil {
			t.Fatalf("data section does not parse: %v", err)
		}
		for _, s := range segs {
			copy(mem[s.offset:], s.data)
		}
	}
	return mem
}

func TestPack(t *testing.T) {
	tests := []struct {
		name         string
		segs         []segment
		maxGap       int
		wantSegments int
		wantZeros    int
	}{
		{name: "gaps under the limit are filled", segs: []segment{{offset: 16, data: []byte{1, 2}}, {offset: 26, data: []byte{3}}, {offset: 40, data: []byte{4, 5, 6}}}, maxGap: 64, wantSegments: 1, wantZeros: 8 + 13},
		{name: "a gap at the limit stays a gap", segs: []segment{{offset: 0, data: []byte{1}}, {offset: 65, data: []byte{2}}, {offset: 70, data: []byte{3}}}, maxGap: 64, wantSegments: 2, wantZeros: 4},
		{name: "segments out of address order, as Go writes its sections", segs: []segment{{offset: 300, data: []byte{9, 9}}, {offset: 8, data: []byte{1}}, {offset: 100, data: []byte{2}}}, maxGap: 1024, wantSegments: 1, wantZeros: 91 + 199},
		{name: "adjacent segments", segs: []segment{{offset: 4, data: []byte{1, 2}}, {offset: 6, data: []byte{3}}}, maxGap: 1, wantSegments: 1, wantZeros: 0},
		{name: "an offset over 2 GiB is an unsigned i32", segs: []segment{{offset: -16, data: []byte{7}}}, maxGap: 1024, wantSegments: 1, wantZeros: 0},
		{name: "no segments", segs: nil, maxGap: 1024, wantSegments: 0, wantZeros: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := module(active(tt.segs...))
			orig := bytes.Clone(in)
			out, st, err := Pack(in, tt.maxGap)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(in, orig) {
				t.Fatal("Pack changed its input")
			}
			if st.SegmentsBefore != len(tt.segs) || st.SegmentsAfter != tt.wantSegments || st.ZerosAdded != tt.wantZeros {
				t.Fatalf("stats %+v, want %d -> %d segments and %d zeros", st, len(tt.segs), tt.wantSegments, tt.wantZeros)
			}
			if tt.segs == nil || tt.segs[0].offset >= 0 {
				if got, want := memoryImage(t, out), memoryImage(t, in); !bytes.Equal(got, want) {
					t.Fatal("the packed module starts with other memory than the original")
				}
			}
			if !bytes.HasPrefix(out, orig[:13]) || !bytes.HasSuffix(out, []byte{0, 4, 3, 'x', 'y', 'z'}) {
				t.Fatal("the sections around the data section changed")
			}
			again, st2, err := Pack(out, tt.maxGap)
			if err != nil || !bytes.Equal(again, out) || st2.ZerosAdded != 0 {
				t.Fatalf("packing twice changed the module again (err %v, stats %+v)", err, st2)
			}
		})
	}
}

func TestPackWithoutDataSection(t *testing.T) {
	in := module(nil)
	out, st, err := Pack(in, 1024)
	if err != nil || !bytes.Equal(out, in) || st != (Stats{}) {
		t.Fatalf("Pack(no data section) = %x, %+v, %v; want the module unchanged", out, st, err)
	}
}

func TestPackRefuses(t *testing.T) {
	passive := []byte{1, 1, 1, 7} // one passive segment of one byte
	tests := []struct {
		name    string
		module  []byte
		wantErr string
	}{
		{name: "not wasm", module: []byte("\x7fELF\x02\x01\x01\x00"), wantErr: "not a WebAssembly"},
		{name: "empty", module: nil, wantErr: "not a WebAssembly"},
		{name: "truncated section", module: append(module(nil), 11, 9, 1), wantErr: "truncated"},
		{name: "DataCount section", module: module(active(), []byte{sectionDataCount, 1, 0}), wantErr: "DataCount"},
		{name: "passive segment", module: module(passive), wantErr: "not an active segment"},
		{name: "offset from a global", module: module([]byte{1, 0, 0x23, 0, 0x0b, 1, 7}), wantErr: "not an i32.const"},
		{name: "overlapping segments", module: module(active(segment{offset: 0, data: []byte{1, 2, 3}}, segment{offset: 2, data: []byte{4}})), wantErr: "overlap"},
		{name: "trailing bytes", module: module(append(active(segment{offset: 0, data: []byte{1}}), 0)), wantErr: "after the last data segment"},
		{name: "two data sections", module: module(active(), append([]byte{sectionData}, 1, 0)), wantErr: "two data sections"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Pack(tt.module, 1024)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Pack = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestPackGoModule packs a real Go WebAssembly program (one that uses maps, strings, fmt and
// a panic recovered, so that data, type descriptors and the pcln table are all read) and runs
// both modules under Node with Go's wasm_exec: the packed one has far fewer segments, starts
// with the same memory, compresses smaller and prints the same.
func TestPackGoModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Go WebAssembly program")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on PATH")
	}
	dir := t.TempDir()
	src := `package main

import (
	"fmt"
	"sort"
	"strings"
)

var table = map[string][]int{"b": {3, 1, 2}, "a": {9, 8}}

func main() {
	keys := make([]string, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Printf("%s=%v ", strings.ToUpper(k), table[k])
	}
	defer func() { fmt.Println("recovered:", recover()) }()
	var m map[string]int
	m["x"] = 1
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module packtest\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	orig := filepath.Join(dir, "orig.wasm")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", orig, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	in, err := os.ReadFile(orig)
	if err != nil {
		t.Fatal(err)
	}
	out, st, err := Pack(in, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if st.SegmentsAfter*10 > st.SegmentsBefore {
		t.Errorf("segments %d -> %d: want at least 10 times fewer", st.SegmentsBefore, st.SegmentsAfter)
	}
	if gzipLen(t, out) >= gzipLen(t, in) {
		t.Errorf("packed module is %d bytes gzip, the original %d: want smaller", gzipLen(t, out), gzipLen(t, in))
	}
	packed := filepath.Join(dir, "packed.wasm")
	if err := os.WriteFile(packed, out, 0o644); err != nil {
		t.Fatal(err)
	}
	runtime := filepath.Join(goEnv(t, "GOROOT"), "lib", "wasm", "wasm_exec_node.js")
	var outputs []string
	for _, m := range []string{orig, packed} {
		cmd := exec.Command(node, runtime, m)
		got, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("node %s: %v\n%s", filepath.Base(m), err, got)
		}
		outputs = append(outputs, string(got))
	}
	const want = "A=[9 8] B=[3 1 2] recovered: assignment to entry in nil map\n"
	if outputs[0] != want || outputs[1] != want {
		t.Fatalf("original printed %q, packed printed %q; want %q from both", outputs[0], outputs[1], want)
	}
}

func gzipLen(t *testing.T, b []byte) int {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Len()
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
