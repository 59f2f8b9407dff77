package gateway

// Progress hears of long work as it goes: the command line's progress bars (run --once,
// reprocess). Its methods are called from the goroutines that do the work.
type Progress interface {
	FileDone()      // a file was taken to the end (run --once)
	InvoiceMapped() // an invoice of the file in hand was mapped
}

// OnProgress has the gateway tell p of its progress.
func (g *Gateway) OnProgress(p Progress) { g.prog = p }

func (g *Gateway) fileDone() {
	if g.prog != nil {
		g.prog.FileDone()
	}
}

func (g *Gateway) invoiceMapped() {
	if g.prog != nil {
		g.prog.InvoiceMapped()
	}
}
