package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/spf13/cobra"

	"github.com/fluxgate/fluxgate/gateway"
	"github.com/fluxgate/fluxgate/gateway/config"
)

// serviceManager is what runs `fluxgate run` as a service: systemd (through
// $NOTIFY_SOCKET, Type=notify) or the Windows Service Control Manager (service_windows.go).
// It learns when the daemon serves and when it stops, and may ask for liveness pings.
type serviceManager interface {
	Ready()
	Stopping()
	// Watchdog is how often the daemon must say it is alive (0: never), and Alive says it.
	Watchdog() time.Duration
	Alive()
}

type serviceManagerKey struct{}

// withServiceManager has the `run` command started under ctx report to m: the Windows
// service handler runs `run` in-process under the SCM.
func withServiceManager(ctx context.Context, m serviceManager) context.Context {
	return context.WithValue(ctx, serviceManagerKey{}, m)
}

// serviceManagerOf is the manager ctx names, else systemd (which does nothing when
// $NOTIFY_SOCKET is unset: not started by systemd, or not Type=notify).
func serviceManagerOf(ctx context.Context, log *slog.Logger) serviceManager {
	if m, ok := ctx.Value(serviceManagerKey{}).(serviceManager); ok {
		return m
	}
	return &systemd{log: log}
}

// supervise keeps the service manager told how `run` stands: ready once the gateway serves
// (recovered, every source watched), stopping as soon as a stop is asked (the file in hand
// is still finished), alive at half the watchdog period. The returned func ends it.
func supervise(ctx context.Context, g *gateway.Gateway) (done func()) {
	m := serviceManagerOf(ctx, g.Logger())
	g.OnReady(func() {
		g.Logger().Info("fluxgate serving: every source watched")
		m.Ready()
	})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var tick <-chan time.Time
		if every := m.Watchdog() / 2; every > 0 {
			t := time.NewTicker(every)
			defer t.Stop()
			tick = t.C
		}
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				g.Logger().Info("fluxgate stopping: the file and the deposit in hand are finished first")
				m.Stopping()
				ctx = context.Background() // said once; the watchdog goes on until the end
			case <-tick:
				m.Alive()
			}
		}
	})
	return func() { close(stop); wg.Wait() }
}

// systemd speaks the sd_notify protocol when systemd started fluxgate with Type=notify.
type systemd struct {
	log    *slog.Logger
	failed atomic.Bool // a notification failed: said once in the log, not at each ping
}

func (s *systemd) notify(state string) {
	sent, err := daemon.SdNotify(false, state)
	switch {
	case err != nil && !s.failed.Swap(true):
		s.log.Warn("systemd notification failed; systemd may think fluxgate is not running", "state", state, "err", err)
	case sent:
		s.log.Debug("told systemd", "state", state)
	}
}

func (s *systemd) Ready()    { s.notify(daemon.SdNotifyReady + "\nSTATUS=serving") }
func (s *systemd) Stopping() { s.notify(daemon.SdNotifyStopping + "\nSTATUS=stopping") }
func (s *systemd) Alive()    { s.notify(daemon.SdNotifyWatchdog) }

func (s *systemd) Watchdog() time.Duration {
	d, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		s.log.Warn("systemd watchdog settings unreadable; no watchdog pings", "err", err)
		return 0
	}
	return d
}

// newServiceCmd is `fluxgate service install|uninstall|start|stop|status`: the Windows
// service (service_windows.go). Elsewhere each says to use the systemd unit, and exits 2.
func newServiceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "service install|uninstall|start|stop|status -c FILE",
		Short: "Install and control fluxgate as a Windows service",
		Long: `Install and control fluxgate as a Windows service that runs "fluxgate run -c FILE"
under the Service Control Manager: started at boot, restarted after a failure, its main
events in the Windows Event Log (source: the service name). Run from an elevated prompt.

On Linux use the systemd unit deploy/systemd/fluxgate.service instead (docs/install.md).`,
	}
	var o serviceOptions
	add := func(use, short string, run func(*cobra.Command, serviceOptions) error) *cobra.Command {
		c := &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error { return run(c, o) }}
		c.Flags().StringVar(&o.name, "name", "fluxgate", "service name (and Event Log source)")
		cmd.AddCommand(c)
		return c
	}
	install := add("install -c FILE", "Install the service (started at boot, restarted on failure)", serviceInstall)
	install.Flags().StringVarP(&o.config, "config", "c", "", "configuration file (required)")
	install.Flags().StringVar(&o.user, "user", "", `account the service runs as, e.g. "NT SERVICE\fluxgate" or "DOMAIN\svc-fluxgate" (default LocalSystem); a password comes from FLUXGATE_SERVICE_PASSWORD or FLUXGATE_SERVICE_PASSWORD_FILE`)
	install.Flags().StringVar(&o.logFile, "log", "", `file the service logs to (default: fluxgate.log beside the configuration)`)
	add("uninstall", "Stop and remove the service", serviceUninstall)
	add("start", "Start the service and wait until it serves", serviceStart)
	add("stop", "Stop the service gracefully and wait until it has stopped", serviceStop)
	add("status", "Say whether the service is installed and running (exit 0 running, 1 not running, 2 not installed)", serviceStatus)
	// What the Service Control Manager starts: not for people.
	runSvc := add("run -c FILE", "Run under the Windows Service Control Manager (started by it)", serviceRun)
	runSvc.Hidden = true
	runSvc.Flags().StringVarP(&o.config, "config", "c", "", "configuration file")
	runSvc.Flags().StringVar(&o.logFile, "log", "", "log file")
	return cmd
}

// serviceOptions are the flags of the service commands.
type serviceOptions struct {
	name, config, user, logFile string
}

// The service core below is the same on every system, so that it is tested everywhere;
// service_windows.go only connects it to the Service Control Manager and the Event Log.

// serviceState is what the service tells the Service Control Manager.
type serviceState int

const (
	stateStartPending serviceState = iota
	stateRunning                   // serving: recovered, every source watched
	stateStopPending               // a stop was asked; the file in hand is being finished
)

func (s serviceState) String() string {
	return [...]string{"start pending", "running", "stop pending"}[s]
}

// eventSink is where the service's main events go: the Windows Event Log (*eventlog.Log
// has these methods). Event ids stay within 1–1000, what EventCreate sources accept.
type eventSink interface {
	Info(id uint32, msg string) error
	Warning(id uint32, msg string) error
	Error(id uint32, msg string) error
}

// Event ids of the service's main events.
const (
	eventStarted  = 1  // serving
	eventStopping = 2  // a stop was asked
	eventStopped  = 3  // stopped cleanly
	eventWarning  = 10 // a warning of the gateway: a destination paused, a file not processed…
	eventError    = 20 // an error of the gateway
	eventFailed   = 21 // it could not start or stopped with an error: configuration, journal, log file
)

// scm is the serviceManager of a `run` under the Windows Service Control Manager.
type scm struct {
	report func(serviceState)
	events eventSink
	config string
}

func (m *scm) Ready() {
	m.report(stateRunning)
	m.events.Info(eventStarted, "Fluxgate is running: every source of "+m.config+" is watched.")
}
func (m *scm) Stopping()               {}
func (m *scm) Watchdog() time.Duration { return 0 }
func (m *scm) Alive()                  {}

// runService runs `fluxgate run -c CONFIG` as a service until a stop arrives on stop, or
// until it ends by itself (a configuration error, say), and returns its exit status. Every
// change of state goes to report; start, stop, failures and the gateway's warnings and
// errors go to events; the whole log goes to the log file (default: fluxgate.log beside
// the configuration).
func runService(o serviceOptions, stop <-chan struct{}, report func(serviceState), events eventSink) int {
	report(stateStartPending)
	logPath := o.logFile
	if logPath == "" {
		logPath = filepath.Join(filepath.Dir(o.config), "fluxgate.log")
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		events.Error(eventFailed, fmt.Sprintf("Fluxgate cannot write its log file %s (give the service account the right to write there, or another file with --log): %v", logPath, err))
		return 2
	}
	defer logFile.Close()
	logw := &syncWriter{w: io.MultiWriter(logFile, &eventWriter{events: events})}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := &scm{report: report, events: events, config: o.config}
	done := make(chan int, 1)
	go func() { done <- run(withServiceManager(ctx, m), []string{"run", "-c", o.config}, logw, logw) }()
	for {
		select {
		case <-stop:
			if ctx.Err() == nil {
				report(stateStopPending)
				events.Info(eventStopping, "Fluxgate is stopping: the file and the deposit in hand are finished first.")
				cancel()
			}
			stop = nil
		case code := <-done:
			if code != 0 {
				events.Error(eventFailed, fmt.Sprintf("Fluxgate stopped with exit status %d; the service restarts it (see %s).", code, logPath))
			} else {
				events.Info(eventStopped, "Fluxgate stopped.")
			}
			return code
		}
	}
}

// syncWriter serializes the writes of the goroutines that log.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// eventWriter sends the log lines worth an administrator's attention to the Event Log:
// warnings and errors of the gateway (a destination paused, a file not processed, a
// connection lost), and the command's own failure ("fluxgate: …", a configuration error).
type eventWriter struct {
	events  eventSink
	partial []byte
}

func (e *eventWriter) Write(p []byte) (int, error) {
	e.partial = append(e.partial, p...)
	for {
		i := bytes.IndexByte(e.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := strings.TrimSpace(string(e.partial[:i]))
		e.partial = e.partial[i+1:]
		switch {
		case strings.HasPrefix(line, "fluxgate: "):
			e.events.Error(eventFailed, line)
		case strings.Contains(line, "level=ERROR"), strings.Contains(line, `"level":"ERROR"`):
			e.events.Error(eventError, line)
		case strings.Contains(line, "level=WARN"), strings.Contains(line, `"level":"WARN"`):
			e.events.Warning(eventWarning, line)
		}
	}
}

// checkServiceConfig is the configuration a service is installed with: given, existing and
// valid (its mappings load), as an absolute path, since the service does not start in the
// folder it was installed from.
func checkServiceConfig(path string) (string, error) {
	if path == "" {
		return "", errors.New("give the configuration file the service runs: fluxgate service install -c FILE")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("configuration file %s: %w", path, err)
	}
	if _, err := os.Stat(abs); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("the configuration file %s does not exist; write it first (config.example.yaml is a start)", abs)
		}
		return "", fmt.Errorf("the configuration file %s cannot be read: %w", abs, err)
	}
	cfg, err := config.Load(abs)
	if err != nil {
		return "", fmt.Errorf("the configuration is not valid, fix it first: %w", err)
	}
	if err := config.CheckMappings(cfg); err != nil {
		return "", fmt.Errorf("a mapping of the configuration does not load, fix it first: %w", err)
	}
	return abs, nil
}
