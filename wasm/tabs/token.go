package tabs

import (
	"context"
	"sync"
	"time"

	"github.com/fabric-lro/fabric-lro/lro"
)

// tokenWait bounds how long a member without a token waits for another to give one.
const tokenWait = 3 * time.Second

// tokenSource wraps this member's own token source: when it has no token (an error, or
// none), the member asks the group, and the first member that has one answers. The token
// crosses only the BroadcastChannel (same origin, in memory), and only on demand.
func (m *Member) tokenSource(page lro.TokenFunc) lro.TokenFunc {
	own := (&tokenMemo{}).wrap(page)
	return func(ctx context.Context, refresh bool) (string, error) {
		tok, err := own(ctx, refresh)
		if err == nil && tok != "" || m.opts.channel == nil {
			return tok, err
		}
		if tok, ok := m.askGroup(ctx, refresh); ok {
			return tok, nil
		}
		if err == nil {
			err = errNoToken
		}
		return "", err
	}
}

var errNoToken = &lro.Error{ErrorCode: string(lro.CodeTokenUnavailable), Message: "getToken returned no token, and no other tab has one"}

// askGroup posts needToken and waits (tokenWait at most) for the first member's answer.
func (m *Member) askGroup(ctx context.Context, refresh bool) (string, bool) {
	ch := make(chan string, 1)
	m.mu.Lock()
	m.seq++
	n := m.seq
	m.tokens[n] = ch
	m.post(message{Kind: kindNeedToken, N: n, Refresh: refresh})
	m.mu.Unlock()
	select {
	case t := <-ch: // takeToken removed n
		return t, true
	case <-time.After(tokenWait):
	case <-ctx.Done():
	}
	m.mu.Lock()
	delete(m.tokens, n)
	m.mu.Unlock()
	return "", false
}

// takeToken gives the answer to one of this member's needToken to the one waiting for it.
func (m *Member) takeToken(msg message) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ch := m.tokens[msg.N]; msg.To == m.opts.id && ch != nil {
		delete(m.tokens, msg.N)
		ch <- msg.Token
	}
}

// giveToken answers another member's needToken with this member's own token, if it has one.
func (m *Member) giveToken(ask message) {
	tok, err := m.opts.token(context.Background(), ask.Refresh)
	if err != nil || tok == "" {
		return
	}
	m.mu.Lock()
	m.post(message{Kind: kindToken, To: ask.From, N: ask.N, Token: tok})
	m.mu.Unlock()
}

// tokenReuse is how long a token the page gave is used again without asking the page.
const tokenReuse = 2 * time.Second

// tokenMemo answers most token requests from memory (for tokenReuse after the page gave
// the token), so they need not wait for the page's getToken promise. The engine charges a
// request to the budget before it asks for the token: a request that had to wait for the
// page's event loop (busy drawing hundreds of rows) went out late, together with the others
// charged meanwhile, over the budget. A refresh always asks the page; a failure is not kept.
type tokenMemo struct {
	mu          sync.Mutex
	tok         string
	at          time.Time // when the call that gave tok started
	calls, kept int       // calls started; the number of the call that gave tok
}

func (t *tokenMemo) wrap(page lro.TokenFunc) lro.TokenFunc {
	return func(ctx context.Context, refresh bool) (string, error) {
		t.mu.Lock()
		if !refresh && t.tok != "" && time.Since(t.at) < tokenReuse {
			tok := t.tok
			t.mu.Unlock()
			return tok, nil
		}
		t.calls++
		n, start := t.calls, time.Now()
		t.mu.Unlock()
		tok, err := page(ctx, refresh)
		t.mu.Lock()
		defer t.mu.Unlock()
		if n > t.kept { // an older call's answer never replaces a newer one's
			t.kept = n
			t.tok, t.at = "", start
			if err == nil {
				t.tok = tok
			}
		}
		return tok, err
	}
}
