package lro

// Helpers of the engine's own, exported to its external tests (package lro_test) only.
var (
	ParseRetryAfter = parseRetryAfter
	ResolveLocation = resolveLocation
)
