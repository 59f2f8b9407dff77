package main

import (
	"fmt"
	"io"
	"time"

	"github.com/fluxgate/fluxgate/gateway/journal"
)

// printInstances lists the gateways sharing a PostgreSQL journal (none on SQLite): which
// one is the scheduler, and those that stopped heartbeating without a clean stop.
func printInstances(lang string, w io.Writer, ins []journal.Instance, now time.Time) {
	if len(ins) == 0 {
		return
	}
	fmt.Fprintln(w, "\n"+inLang(lang, "Instances :", "Instances:"))
	for _, in := range ins {
		state := inLang(lang, "en marche", "running")
		switch {
		case !in.Stopped.IsZero():
			state = inLang(lang, "arrêtée le ", "stopped at ") + in.Stopped.UTC().Format("2006-01-02 15:04:05 UTC")
		case in.Stale:
			state = fmt.Sprintf(inLang(lang, "MUETTE depuis %s (aucun signe de vie depuis %s) : arrêtée brutalement ou coupée de la base ; son travail est repris par les autres",
				"SILENT since %s (no heartbeat for %s): killed or cut off from the database; the others take its work over"),
				in.Seen.UTC().Format("2006-01-02 15:04:05 UTC"), now.Sub(in.Seen).Round(time.Second))
		case in.Scheduler:
			state += inLang(lang, ", ordonnanceur (créneaux de dépôt et suivi des plateformes)", ", scheduler (deposit windows and platform tracking)")
		}
		fmt.Fprintf(w, "  %s  %s pid %d, version %s, %s %s: %s\n", in.ID, in.Host, in.PID, in.Version,
			inLang(lang, "démarrée le", "started"), in.Started.UTC().Format("2006-01-02 15:04:05 UTC"), state)
	}
}
