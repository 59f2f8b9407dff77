package gateway

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/gateway/config"
)

// A source whose mapping can never supply what its profile requires is refused when the
// gateway starts (and by config check), with what is missing, rather than rejecting every
// invoice (issue 13 point 4).
func TestProfileTheMappingCannotMeetIsRefused(t *testing.T) {
	e := newEnv(t)
	e.extra = "    profile: fr-ctc"
	_, err := New(context.Background(), e.config(t), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "never supplies BT-23 (business process type), which the fr-ctc profile requires (BR-FR-08") {
		t.Fatalf("New: %v", err)
	}
	if err := config.CheckMappings(e.config(t)); err == nil || !strings.Contains(err.Error(), "source ventes: ") || !strings.Contains(err.Error(), "BR-FR-08") {
		t.Fatalf("CheckMappings: %v", err)
	}
	// The profiles the shipped mapping meets are accepted.
	for _, p := range []string{"en16931", "chorus-pro"} {
		e := newEnv(t)
		e.extra = "    profile: " + p
		if err := config.CheckMappings(e.config(t)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
