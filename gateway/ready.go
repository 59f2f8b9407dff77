package gateway

// OnReady has Run call ready once it serves: the work a previous run left is recovered,
// every source is watched and every destination deposits. A service manager learns it so
// (systemd's READY=1), and holds back whatever depends on the gateway until then.
func (g *Gateway) OnReady(ready func()) { g.ready = ready }
