package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/journal"
	"github.com/fluxgate/fluxgate/internal/gatewaytest"
	"github.com/fluxgate/fluxgate/internal/pgtest"
)

// The dashboard and the API list the gateways sharing a PostgreSQL journal: which is the
// scheduler, which stopped. (On SQLite there are none, and no section.)
func TestInstancesShown(t *testing.T) {
	ctx := context.Background()
	j, err := journal.OpenPostgres(ctx, pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	for _, in := range []journal.Instance{{ID: "gw-a", Host: "host-a", PID: 11, Version: "1.4.0", Scheduler: true}, {ID: "gw-b", Host: "host-b", PID: 22, Version: "1.4.0"}} {
		if err := j.Heartbeat(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.InstanceStopped(ctx, "gw-b"); err != nil {
		t.Fatal(err)
	}
	e := gatewaytest.New(t, gatewaytest.Options{})
	s, err := New(Options{HTTP: &config.HTTPConfig{Listen: "127.0.0.1:0", Language: "en"}, Gateway: e.G, Journal: j,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test",
		Metrics: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	res, err := http.Get(srv.URL + "/?lang=en")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	html := string(page)
	for _, want := range []string{`id="instance-gw-a"`, "host-a pid 11", "running, scheduler: deposit windows and tracking", `id="instance-gw-b"`, "stopped"} {
		if !strings.Contains(html, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	res, err = http.Get(srv.URL + "/api/v1/instances")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Instances []struct {
			ID        string `json:"id"`
			Scheduler bool   `json:"scheduler"`
			Silent    bool   `json:"silent"`
			Stopped   string `json:"stopped"`
		} `json:"instances"`
	}
	json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if len(body.Instances) != 2 || body.Instances[0].ID != "gw-a" || !body.Instances[0].Scheduler || body.Instances[1].Stopped == "" {
		t.Fatalf("api: %+v", body)
	}
}
