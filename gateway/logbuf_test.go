package gateway

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/fluxgate/fluxgate/gateway/config"
)

// logBuffer collects log lines for assertions; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	// onMessage, when set (before the gateway runs), is called with the message of each
	// record once it is written, in the goroutine that logs it: a test acts at an exact
	// point of the gateway's work.
	onMessage func(msg string)
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if testing.Verbose() {
		os.Stderr.Write(p)
	}
	return b.buf.Write(p)
}

// hooked is a handler that calls logBuffer.onMessage after its handler has written the
// record: outside the handler's lock, so onMessage may log.
type hooked struct {
	slog.Handler
	b *logBuffer
}

func (h hooked) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if h.b.onMessage != nil {
		h.b.onMessage(r.Message)
	}
	return err
}

func (h hooked) WithAttrs(as []slog.Attr) slog.Handler { return hooked{h.Handler.WithAttrs(as), h.b} }
func (h hooked) WithGroup(name string) slog.Handler    { return hooked{h.Handler.WithGroup(name), h.b} }

func (b *logBuffer) count(substr string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), substr)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// openLogged opens a gateway on cfg whose log goes to the returned buffer.
func openLogged(t *testing.T, cfg *config.Config) (*Gateway, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	g, err := New(context.Background(), cfg, slog.New(hooked{slog.NewTextHandler(logs, nil), logs}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g, logs
}

// runDaemon runs g.Run until the end of the test.
func runDaemon(t *testing.T, g *Gateway) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
}
