package tabs

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/fabric-lro/fabric-lro/lro"
)

// A follower's caller gets the leader's error whole: a start lro did not send again
// (StartNotRetried) still says it got no answer (NetworkError), which decides the words.
func TestErrorReplyKeepsTheCause(t *testing.T) {
	err := &lro.Error{ErrorCode: string(lro.CodeStartNotRetried), Message: "the POST was not retried",
		Err: &lro.Error{ErrorCode: string(lro.CodeNetworkError), Message: "could not reach 127.0.0.1:8787"}}
	b, _ := json.Marshal(errorReply(err))
	var r message
	if e := json.Unmarshal(b, &r); e != nil {
		t.Fatal(e)
	}
	got := r.replyError()
	if !errors.Is(got, lro.CodeStartNotRetried) || !errors.Is(got, lro.CodeNetworkError) {
		t.Errorf("the follower got %v; want StartNotRetried wrapping NetworkError", got)
	}
	if (message{}).replyError() != nil {
		t.Errorf("a reply without an error gave one")
	}
}
