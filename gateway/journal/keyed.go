package journal

import (
	"context"
	"sync"
)

// keyedLocks is one lock per key, within this process: held keys only take memory.
type keyedLocks struct {
	mu   sync.Mutex
	held map[int64]chan struct{} // closed when the key is unlocked
}

// lock takes the lock of key, waiting for its holder, or until ctx is done.
func (k *keyedLocks) lock(ctx context.Context, key int64) (unlock func(), err error) {
	for {
		k.mu.Lock()
		released, busy := k.held[key]
		if !busy {
			if k.held == nil {
				k.held = map[int64]chan struct{}{}
			}
			mine := make(chan struct{})
			k.held[key] = mine
			k.mu.Unlock()
			return func() {
				k.mu.Lock()
				delete(k.held, key)
				k.mu.Unlock()
				close(mine)
			}, nil
		}
		k.mu.Unlock()
		select {
		case <-released:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
