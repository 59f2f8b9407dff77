package mapping

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// checkKeys adds and looks up keys as Map does (a look-up when an invoice starts, an add
// when it ends) and compares emittedKeys with a map of the exact keys, the general path.
func checkKeys(t *testing.T, keys []string) {
	t.Helper()
	got, want := newEmittedKeys(), map[string]int{}
	for i, key := range keys {
		line, seen := got.lastLine(key)
		wantLine, wantSeen := want[key]
		if seen != wantSeen || line != wantLine {
			t.Fatalf("key %d %q: last line %d %v, want %d %v", i, key, line, seen, wantLine, wantSeen)
		}
		got.add(key, 2*i+1)
		want[key] = 2*i + 1
	}
	for i := 1; i < len(got.runs); i++ {
		if len(got.runs[i-1]) < 2*len(got.runs[i]) {
			t.Fatalf("run %d of %d keys before one of %d: runs do not halve", i-1, len(got.runs[i-1]), len(got.runs[i]))
		}
	}
}

// emittedKeys agrees with an exact map: keys never seen, seen in the tail, in small and
// large runs, seen again many times (the latest line wins), across many merges.
func TestEmittedKeysAgreeWithAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ n, distinct int }{{10, 10}, {keyTail, keyTail}, {5000, 5000}, {20000, 3000}, {20000, 40}, {3 * keyTail, 1}} {
		keys := make([]string, c.n)
		for i := range keys {
			keys[i] = fmt.Sprintf("FA-%d", rng.IntN(c.distinct))
			if c.distinct == c.n {
				keys[i] = fmt.Sprintf("FA-%d", i) // all different
			}
		}
		checkKeys(t, keys)
	}
}

func FuzzEmittedKeys(f *testing.F) {
	f.Add([]byte("abcabc"))
	f.Add([]byte{0, 1, 2, 3, 0, 255, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		// Each byte a key, repeated so that the tail is sorted into runs that merge.
		keys := make([]string, 0, 4*len(data))
		for range 4 {
			for _, b := range data {
				keys = append(keys, string([]byte{b}))
			}
		}
		checkKeys(t, keys)
	})
}

// The keys of 200,000 invoices take about 16 bytes each, a map of their hashes about 38.
func TestEmittedKeysMemory(t *testing.T) {
	const n = 200000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("FA2026-%07d", i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	k := newEmittedKeys()
	for i, key := range keys {
		k.add(key, 20*i+21)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perKey := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.1f bytes a key kept, %.1f allocated", perKey, float64(after.TotalAlloc-before.TotalAlloc)/n)
	if perKey > 20 {
		t.Fatalf("%.1f bytes a key kept, want about 16", perKey)
	}
	if _, seen := k.lastLine(keys[n/3]); !seen {
		t.Fatal("a key added is not found")
	}
}

// In a file of 2,000 invoices, one whose rows start again after all the others is found,
// with the line where they stopped, and no other invoice is flagged: the keys went through
// the sorted runs.
func TestNonConsecutiveKeyInABigFile(t *testing.T) {
	var b strings.Builder
	b.WriteString(strings.SplitAfter(scattered, "\n")[0]) // the header
	for i := range 2000 {
		fmt.Fprintf(&b, "G%d;01/11/2026;Dupont;A;1;1\n", i)
	}
	b.WriteString("G7;01/11/2026;Dupont;A;1;1\n")
	res, err := mapAll(t, mustParse(t, small), []byte(b.String()))
	if err != nil || len(res) != 2001 {
		t.Fatalf("%d invoices, %v", len(res), err)
	}
	for i, r := range res {
		if i < 2000 && len(r.Problems) != 0 {
			t.Fatalf("invoice %d %s: %v", i, r.Key, r.Problems)
		}
	}
	last := res[2000]
	if last.Key != "G7" || len(last.Problems) != 1 || last.Problems[0].Rule != RuleGroup || !strings.Contains(last.Problems[0].EN, "stopped at line 9") {
		t.Fatalf("the key back at the end: %+v", last)
	}
}
