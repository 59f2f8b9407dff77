package schematron

import "sync"

// slabs allocate the nodes of a document in blocks rather than one by one. A block stays
// under 32 KB, the largest object the allocator serves from its per-thread caches: larger
// ones are taken from and swept back to the heap under its lock, which cost more than the
// scanning itself.
type slabs struct {
	blocks [][]Node // every block taken, for Release
	nodes  []Node   // the block being filled
	ptrs   []*Node
}

const blockNodes = 240 // nodes of 136 bytes

// blockPool keeps the node blocks of released documents for the next reads: reading an
// invoice allocates little else, and a process reading many (convert, a gateway tracking
// platforms) otherwise spends as much time collecting the blocks as filling them. It holds
// spare memory only, no document: a block is overwritten node by node before it is read.
var blockPool = sync.Pool{New: func() any { return new([blockNodes]Node) }}

func (s *slabs) node() *Node {
	if len(s.nodes) == cap(s.nodes) {
		s.nodes = blockPool.Get().(*[blockNodes]Node)[:0]
		s.blocks = append(s.blocks, s.nodes[:blockNodes])
	}
	s.nodes = s.nodes[:len(s.nodes)+1]
	return &s.nodes[len(s.nodes)-1]
}

// pointers is an empty list with room for n nodes (an element's attributes).
func (s *slabs) pointers(n int) []*Node {
	if cap(s.ptrs)-len(s.ptrs) < n {
		s.ptrs = make([]*Node, 0, max(n, 64))
	}
	l := len(s.ptrs)
	s.ptrs = s.ptrs[:l+n]
	return s.ptrs[l : l : l+n]
}

// release hands the blocks back to the pool.
func (s *slabs) release() {
	for _, b := range s.blocks {
		blockPool.Put((*[blockNodes]Node)(b))
	}
	clear(s.blocks)
	*s = slabs{blocks: s.blocks[:0]}
}

// scanPool keeps the scanners of released documents, with the arrays they filled (the
// document order, the children lists, the name index), for the next scans: reused, they
// leave the copies of the document's names and values about the only memory a read
// allocates.
var scanPool = sync.Pool{New: func() any { return new(scanner) }}

// release hands s, its blocks and its arrays back for the next scans, its maps emptied for
// the next document's names (the arrays are overwritten before they are read).
func (s *scanner) release() {
	s.slab.release()
	clear(s.byQName)
	clear(s.number)
	s.strs.reset(0)
	s.src, s.sdoc = "", nil
	// What still points into the caller's bytes goes, so that the pool does not keep them.
	clear(s.attrs[:cap(s.attrs)])
	clear(s.scope[:cap(s.scope)])
	s.recent = [len(s.recent)]recentName{}
	scanPool.Put(s)
}

// Release hands the memory of d's nodes back for the next reads. Neither d nor any of its
// nodes may be used afterwards: their memory becomes other documents' nodes. Strings taken
// from nodes stay valid (they are the document's text, not the nodes' memory). A reader
// that keeps no node calls it when it is done; a document never released is collected as
// usual.
func (d *Document) Release() {
	if d.scan != nil {
		d.scan.release()
	}
	// Whatever still uses d fails at once rather than reading another document's nodes.
	*d = Document{}
}
