package main

import (
	"fmt"
	"os/exec"

	"github.com/fabric-lro/fabric-lro/bench/pollcount"
)

// benchPoll counts requests per operation for the lro engine and for a fixed-interval
// poller (the "poll every second" loop the digest says real clients wrote), both creating
// notebooks on the emulator, for the demo timings and the spec's. The counting needs fake
// time, which testing/synctest gives only to tests, so it is a test of package
// bench/pollcount: this runs it and prints its numbers. The test fails (and so does this
// section) when the engine sends more than the minimum.
func benchPoll() error {
	out, err := exec.Command("go", "test", "-count=1", "-v", "-run", "^TestRequestsPerOperation$", "./bench/pollcount").CombinedOutput()
	if err != nil {
		return fmt.Errorf("go test ./bench/pollcount: %v\n%s", err, out)
	}
	results, err := pollcount.Parse(string(out))
	if err != nil {
		return err
	}
	printf("%-32s %14s %14s %14s %8s\n", "timing", "minimum", "lro engine", "fixed 1s poll", "ratio")
	for _, r := range results {
		printf("%-32s %14d %14.2f %14.2f %8.2f\n", r.Timing, r.Minimum, r.Engine, r.Fixed, r.Engine/r.Fixed)
	}
	fmt.Println("(requests per operation, mean over", results[0].Ops, "asynchronous creates; ratio = engine / fixed poll)")
	return nil
}
