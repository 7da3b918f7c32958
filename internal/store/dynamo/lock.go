package dynamo

import (
	"context"
	"sync"
)

// checkLocks queues the writers of one check within this process. Writers in different
// processes (Lambda instances) still race on the version condition, but those in one process
// take turns instead: a lost race costs a read and a failed conditional write, both billed,
// and a hundred goroutines pinging one check would otherwise exhaust the retry budget.
type checkLocks struct {
	mu    sync.Mutex
	locks map[string]*checkLock
}

type checkLock struct {
	held  chan struct{} // one slot: full while a writer holds the lock
	users int           // writers holding or waiting; the entry goes when none are left
}

// lock waits for the check's lock or the end of ctx, and returns the function that releases it.
func (l *checkLocks) lock(ctx context.Context, id string) (unlock func(), err error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = make(map[string]*checkLock)
	}
	k := l.locks[id]
	if k == nil {
		k = &checkLock{held: make(chan struct{}, 1)}
		l.locks[id] = k
	}
	k.users++
	l.mu.Unlock()

	leave := func() {
		l.mu.Lock()
		if k.users--; k.users == 0 {
			delete(l.locks, id)
		}
		l.mu.Unlock()
	}
	select {
	case k.held <- struct{}{}:
		return func() { <-k.held; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}
