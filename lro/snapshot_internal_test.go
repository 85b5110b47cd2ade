package lro

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestEqualSnapshotSeesEveryField: equalSnapshot, which decides whether a Scheduler publishes
// (without JSON work under its lock), tells apart two snapshots that differ in any one field,
// nested ones included; and every field of Snapshot, Waiting, SnapshotError and ErrorDetail
// is one of the changes tried, so a field added later cannot be forgotten by it.
func TestEqualSnapshotSeesEveryField(t *testing.T) {
	full := func() Snapshot {
		pc, at, since := 25.0, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2024, 1, 2, 3, 0, 0, 0, time.UTC)
		e := func() *SnapshotError {
			return &SnapshotError{ErrorCode: "E", Message: "m", RequestID: "r",
				MoreDetails: []ErrorDetail{{ErrorCode: "D", Message: "d", RelatedResource: &RelatedResource{ResourceID: "i", ResourceType: "Notebook"}}}}
		}
		return Snapshot{ID: "op1", Kind: KindOperation, Label: "l", Status: "Running", PercentComplete: &pc,
			CreatedTimeUtc: "c", LastUpdatedTimeUtc: "u", NextPollAt: &at,
			Waiting:  &Waiting{Reason: WaitRetrying, Until: at, Seconds: 2, Since: &since, Error: e(), Attempt: 1, Of: 4},
			Attempts: 3, Result: json.RawMessage(`{"id":"x"}`), Error: e(), Done: false, Stalled: false, ResumeToken: "{}"}
	}
	later := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	changes := []struct {
		field  string // Type.Field
		change func(s *Snapshot)
	}{
		{field: "Snapshot.ID", change: func(s *Snapshot) { s.ID = "op2" }},
		{field: "Snapshot.Kind", change: func(s *Snapshot) { s.Kind = KindJob }},
		{field: "Snapshot.Label", change: func(s *Snapshot) { s.Label = "other" }},
		{field: "Snapshot.Status", change: func(s *Snapshot) { s.Status = "Succeeded" }},
		{field: "Snapshot.PercentComplete", change: func(s *Snapshot) { f := 26.0; s.PercentComplete = &f }},
		{field: "Snapshot.CreatedTimeUtc", change: func(s *Snapshot) { s.CreatedTimeUtc = "c2" }},
		{field: "Snapshot.LastUpdatedTimeUtc", change: func(s *Snapshot) { s.LastUpdatedTimeUtc = "u2" }},
		{field: "Snapshot.NextPollAt", change: func(s *Snapshot) { s.NextPollAt = &later }},
		{field: "Snapshot.Waiting", change: func(s *Snapshot) { s.Waiting = nil }},
		{field: "Snapshot.Attempts", change: func(s *Snapshot) { s.Attempts++ }},
		{field: "Snapshot.Result", change: func(s *Snapshot) { s.Result = json.RawMessage(`{"id":"y"}`) }},
		{field: "Snapshot.Error", change: func(s *Snapshot) { s.Error = nil }},
		{field: "Snapshot.Done", change: func(s *Snapshot) { s.Done = true }},
		{field: "Snapshot.Stalled", change: func(s *Snapshot) { s.Stalled = true }},
		{field: "Snapshot.ResumeToken", change: func(s *Snapshot) { s.ResumeToken = `{"v":1}` }},
		{field: "Waiting.Reason", change: func(s *Snapshot) { s.Waiting.Reason = WaitThrottled }},
		{field: "Waiting.Until", change: func(s *Snapshot) { s.Waiting.Until = later }},
		{field: "Waiting.Seconds", change: func(s *Snapshot) { s.Waiting.Seconds = 3 }},
		{field: "Waiting.Since", change: func(s *Snapshot) { s.Waiting.Since = nil }},
		{field: "Waiting.Error", change: func(s *Snapshot) { s.Waiting.Error.ErrorCode = "F" }},
		{field: "Waiting.Attempt", change: func(s *Snapshot) { s.Waiting.Attempt = 2 }},
		{field: "Waiting.Of", change: func(s *Snapshot) { s.Waiting.Of = 5 }},
		{field: "SnapshotError.ErrorCode", change: func(s *Snapshot) { s.Error.ErrorCode = "F" }},
		{field: "SnapshotError.Message", change: func(s *Snapshot) { s.Error.Message = "m2" }},
		{field: "SnapshotError.RequestID", change: func(s *Snapshot) { s.Error.RequestID = "r2" }},
		{field: "SnapshotError.MoreDetails", change: func(s *Snapshot) { s.Error.MoreDetails = nil }},
		{field: "ErrorDetail.ErrorCode", change: func(s *Snapshot) { s.Error.MoreDetails[0].ErrorCode = "D2" }},
		{field: "ErrorDetail.Message", change: func(s *Snapshot) { s.Error.MoreDetails[0].Message = "d2" }},
		{field: "ErrorDetail.RelatedResource", change: func(s *Snapshot) { s.Error.MoreDetails[0].RelatedResource.ResourceID = "j" }},
	}
	if !equalSnapshot(full(), full()) {
		t.Fatalf("two equal snapshots are not equal")
	}
	tried := map[string]bool{}
	for _, c := range changes {
		tried[c.field] = true
		changed := full()
		c.change(&changed)
		if equalSnapshot(full(), changed) || equalSnapshot(changed, full()) {
			t.Errorf("a change of %s is not seen", c.field)
		}
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[Snapshot](), reflect.TypeFor[Waiting](), reflect.TypeFor[SnapshotError](), reflect.TypeFor[ErrorDetail]()} {
		for f := range typ.Fields() {
			if !tried[typ.Name()+"."+f.Name] {
				t.Errorf("no change of %s.%s is tried: does equalSnapshot compare it?", typ.Name(), f.Name)
			}
		}
	}
}
