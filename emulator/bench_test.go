package emulator

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkOperationState measures one poll of GET /v1/operations/{id}, in-process.
func BenchmarkOperationState(b *testing.B) {
	// An operation that stays NotStarted for as long as any benchmark runs (a sixth of a day).
	srv := New(Config{CreateMode: CreateAsync, OperationDuration: 24 * time.Hour})
	req := httptest.NewRequest("POST", "http://fabric.test"+notebooksPath(), strings.NewReader(`{"displayName":"N"}`))
	req.Header.Set("Authorization", "Bearer b")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	op := rec.Header().Get("x-ms-operation-id")
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "http://fabric.test/v1/operations/"+op, nil)
		req.Header.Set("Authorization", "Bearer b")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// BenchmarkCreateItem measures a 201 create in a workspace that grows as it runs.
func BenchmarkCreateItem(b *testing.B) {
	srv := New(Config{CreateMode: CreateSync})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		req := httptest.NewRequest("POST", "http://fabric.test"+notebooksPath(), strings.NewReader(fmt.Sprintf(`{"displayName":"N%d"}`, i)))
		req.Header.Set("Authorization", "Bearer b")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != 201 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
