package lro_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/fabric-lro/fabric-lro/lro"
	"github.com/tidwall/gjson"
)

var stateBody = []byte(`{"status":"Running","createdTimeUtc":"2023-09-13T14:56:18.477Z","lastUpdatedTimeUtc":"2023-09-13T15:01:10.532Z","percentComplete":25,"error":null,"someFutureField":{"a":[1,2,3]}}`)

// BenchmarkReadStateGJSON reads an operation state the way the engine does.
func BenchmarkReadStateGJSON(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		r := gjson.ParseBytes(stateBody)
		_ = r.Get("status").String()
		_ = r.Get("percentComplete").Float()
		_ = r.Get("lastUpdatedTimeUtc").String()
	}
}

// BenchmarkReadStateEncodingJSON reads the same state with encoding/json, for comparison.
func BenchmarkReadStateEncodingJSON(b *testing.B) {
	b.ReportAllocs()
	var s struct {
		Status             string   `json:"status"`
		PercentComplete    *float64 `json:"percentComplete"`
		LastUpdatedTimeUtc string   `json:"lastUpdatedTimeUtc"`
	}
	for b.Loop() {
		if err := json.Unmarshal(stateBody, &s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPoll measures one Poll of a running operation (a transport answering at once).
func BenchmarkPoll(b *testing.B) {
	b.ReportAllocs()
	resp := &lro.Response{StatusCode: 200, Header: lro.Header{"Retry-After": {"20"}}, Body: stateBody}
	tr := lro.TransportFunc(func(context.Context, *lro.Request) (*lro.Response, error) { return resp, nil })
	c := lro.NewClient(lro.Options{Transport: tr, StallAfter: -1})
	p, err := c.Resume("op1")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if err := p.Poll(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSnapshot measures building and marshalling one Snapshot, as the scheduler does per change.
func BenchmarkSnapshot(b *testing.B) {
	b.ReportAllocs()
	resp := &lro.Response{StatusCode: 200, Header: lro.Header{"Retry-After": {"20"}}, Body: stateBody}
	c := lro.NewClient(lro.Options{Transport: lro.TransportFunc(func(context.Context, *lro.Request) (*lro.Response, error) { return resp, nil })})
	p, _ := c.Resume("op1")
	_ = p.Poll(context.Background())
	for b.Loop() {
		if _, err := json.Marshal(p.Snapshot()); err != nil {
			b.Fatal(err)
		}
	}
}
