package dashboard

import (
	"strings"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
)

// Kind is what a snapshot watches: an operation or a job ([lro.Kind]).
type Kind = lro.Kind

// Kinds of snapshot: package lro's, here so that dashboard callers need not import lro.
const (
	KindOperation = lro.KindOperation // a Fabric long running operation (/v1/operations/{id})
	kindJob       = lro.KindJob       // an item job instance
)

// Snapshot is one operation as the dashboard and the JS API show it (the engine's snapshot;
// it marshals to the snapshot JSON of the JS API).
type Snapshot = lro.Snapshot

// ErrorInfo is Fabric's ErrorResponse as a snapshot carries it.
type ErrorInfo = lro.SnapshotError

// parseTime reads a Fabric timestamp: RFC 3339, or without a zone (as the seed article's
// "2023-11-13T22:25:06.1193103"), which Fabric means as UTC. The zero time when empty or bad.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t.UTC()
	}
	return time.Time{}
}
