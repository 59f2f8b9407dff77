package mapping

import (
	"cmp"
	"hash/maphash"
	"slices"
)

// emittedKeys remembers, under grouping="consecutive", the invoices already emitted: the
// 64-bit hash of each key with the last line of its rows, so that rows of an invoice that
// start again after others are found. It holds 16 bytes an invoice, in sorted runs (a map
// took about 38, twice that while it grew): a file of a million invoices keeps 16 MB.
//
// A key is known by its hash only: two keys of one file sharing a hash (about n²/2⁶⁵ for n
// invoices: one chance in 37 million for a million) make the second invoice rejected
// with the rule GROUP, its rows said to start again. An invoice is never merged with
// another nor dropped by it: what a collision costs is a rejection to look at.
type emittedKeys struct {
	seed maphash.Seed
	tail []keyLine   // the latest, in the order added
	runs [][]keyLine // sorted by hash, oldest first, each at least twice as long as the next
}

type keyLine struct {
	hash uint64
	line int // the last line of the key's rows, the latest time they were emitted
}

// keyTail is how many keys are added before they are sorted into a run: few enough that
// reading them one by one is quick.
const keyTail = 256

func newEmittedKeys() *emittedKeys { return &emittedKeys{seed: maphash.MakeSeed()} }

// add records that the rows of key were emitted, the last at line.
func (k *emittedKeys) add(key string, line int) {
	k.tail = append(k.tail, keyLine{maphash.String(k.seed, key), line})
	if len(k.tail) < keyTail {
		return
	}
	// The latest line of a key first, then the others of that key dropped.
	run := slices.Clone(k.tail)
	k.tail = k.tail[:0]
	slices.SortFunc(run, func(a, b keyLine) int { return cmp.Or(cmp.Compare(a.hash, b.hash), cmp.Compare(b.line, a.line)) })
	run = slices.CompactFunc(run, func(a, b keyLine) bool { return a.hash == b.hash })
	// Runs merge like the digits of a binary counter: each key is copied O(log n) times,
	// and a look-up searches O(log n) runs.
	for len(k.runs) > 0 && len(k.runs[len(k.runs)-1]) < 2*len(run) {
		run = mergeRuns(k.runs[len(k.runs)-1], run)
		k.runs = k.runs[:len(k.runs)-1]
	}
	k.runs = append(k.runs, run)
}

// lastLine returns the last line of key's rows the latest time they were emitted, and
// whether they were.
func (k *emittedKeys) lastLine(key string) (int, bool) {
	h := maphash.String(k.seed, key)
	for i := len(k.tail) - 1; i >= 0; i-- {
		if k.tail[i].hash == h {
			return k.tail[i].line, true
		}
	}
	for i := len(k.runs) - 1; i >= 0; i-- { // newest first
		run := k.runs[i]
		if j, ok := slices.BinarySearchFunc(run, h, func(e keyLine, h uint64) int { return cmp.Compare(e.hash, h) }); ok {
			return run[j].line, true
		}
	}
	return 0, false
}

// mergeRuns merges two runs into a new one, a key found in both with its later line.
func mergeRuns(a, b []keyLine) []keyLine {
	out := make([]keyLine, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0].hash < b[0].hash:
			out, a = append(out, a[0]), a[1:]
		case a[0].hash > b[0].hash:
			out, b = append(out, b[0]), b[1:]
		default:
			out = append(out, keyLine{a[0].hash, max(a[0].line, b[0].line)})
			a, b = a[1:], b[1:]
		}
	}
	return append(append(out, a...), b...)
}
