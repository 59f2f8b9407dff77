//go:build windows

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/fluxgate/fluxgate/gateway/deposit"
)

// stopWait bounds how long `service stop` and the SCM wait for a graceful stop: above the
// daemon's shutdown_timeout (20s by default), as systemd's TimeoutStopSec is.
const stopWait = 60 * time.Second

// openManager connects to the Service Control Manager, which needs an elevated prompt for
// anything but a status.
func openManager() (*mgr.Mgr, error) {
	m, err := mgr.Connect()
	if err != nil {
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
			return nil, exitError{2, errors.New("the Service Control Manager refused access: run this command from an elevated prompt (Run as administrator)")}
		}
		return nil, exitError{2, fmt.Errorf("cannot reach the Service Control Manager: %w", err)}
	}
	return m, nil
}

// openService opens the installed service named name.
func openService(m *mgr.Mgr, name string) (*mgr.Service, error) {
	s, err := m.OpenService(name)
	if err != nil {
		if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
			return nil, exitError{2, fmt.Errorf("the service %s is not installed: install it with fluxgate service install -c FILE", name)}
		}
		return nil, exitError{2, fmt.Errorf("open the service %s: %w", name, err)}
	}
	return s, nil
}

// servicePassword is the password of the account the service runs as, from
// FLUXGATE_SERVICE_PASSWORD or the file FLUXGATE_SERVICE_PASSWORD_FILE names, never from
// the command line. Built-in, virtual (NT SERVICE\…) and group-managed (…$) accounts have
// none.
func servicePassword(user string) (string, error) {
	u := strings.ToUpper(user)
	if user == "" || strings.HasPrefix(u, `NT SERVICE\`) || strings.HasPrefix(u, `NT AUTHORITY\`) || strings.HasSuffix(u, "$") {
		return "", nil
	}
	return deposit.Secret(nil, "the password of "+user, "FLUXGATE_SERVICE_PASSWORD")
}

func serviceInstall(cmd *cobra.Command, o serviceOptions) error {
	cfgPath, err := checkServiceConfig(o.config)
	if err != nil {
		return exitError{2, err}
	}
	exe, err := os.Executable()
	if err != nil {
		return exitError{2, fmt.Errorf("where is fluxgate.exe: %w", err)}
	}
	password, err := servicePassword(o.user)
	if err != nil {
		return exitError{2, err}
	}
	m, err := openManager()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	if s, err := m.OpenService(o.name); err == nil {
		s.Close()
		return exitError{2, fmt.Errorf("the service %s is already installed; to change it, run fluxgate service uninstall first", o.name)}
	}
	args := []string{"service", "run", "--name", o.name, "-c", cfgPath}
	if o.logFile != "" {
		logPath, err := filepath.Abs(o.logFile)
		if err != nil {
			return exitError{2, err}
		}
		args = append(args, "--log", logPath)
	}
	s, err := m.CreateService(o.name, exe, mgr.Config{
		DisplayName:      "Fluxgate e-invoicing gateway",
		Description:      "Turns accounting exports into EN 16931 e-invoices, deposits them and writes acknowledgements (" + cfgPath + ").",
		StartType:        mgr.StartAutomatic,
		DelayedAutoStart: true, // after the network and the shares it needs
		ServiceStartName: o.user,
		Password:         password,
	}, args...)
	if err != nil {
		return exitError{2, fmt.Errorf("install the service %s: %w", o.name, err)}
	}
	defer s.Close()
	undo := func(err error) error {
		s.Delete()
		return exitError{2, err}
	}
	// Restarted after a failure (a crash, or an exit with an error such as a configuration
	// made invalid): after 10 s, 30 s, then every 2 min; the count resets after a day.
	actions := []mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: 10 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 30 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 2 * time.Minute},
	}
	if err := s.SetRecoveryActions(actions, uint32((24 * time.Hour).Seconds())); err != nil {
		return undo(fmt.Errorf("set the restart-on-failure actions: %w", err))
	}
	if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return undo(fmt.Errorf("set the restart-on-failure actions: %w", err))
	}
	if err := eventlog.InstallAsEventCreate(o.name, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil && !strings.Contains(err.Error(), "exists") {
		return undo(fmt.Errorf("register the Event Log source %s: %w", o.name, err))
	}
	account := o.user
	if account == "" {
		account = "LocalSystem"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "service %s installed: runs %s run -c %s as %s, at boot, restarted on failure; start it with: fluxgate service start\n", o.name, exe, cfgPath, account)
	return nil
}

func serviceUninstall(cmd *cobra.Command, o serviceOptions) error {
	m, err := openManager()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := openService(m, o.name)
	if err != nil {
		return err
	}
	defer s.Close()
	if st, err := s.Query(); err == nil && st.State != svc.Stopped {
		if err := stopAndWait(s); err != nil {
			return exitError{2, fmt.Errorf("stop the service %s before removing it: %w", o.name, err)}
		}
	}
	if err := s.Delete(); err != nil {
		return exitError{2, fmt.Errorf("remove the service %s: %w", o.name, err)}
	}
	if err := eventlog.Remove(o.name); err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "the Event Log source %s was not removed: %v\n", o.name, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "service %s removed; its configuration, journal and folders are left as they are\n", o.name)
	return nil
}

func serviceStart(cmd *cobra.Command, o serviceOptions) error {
	m, err := openManager()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := openService(m, o.name)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Start(); err != nil {
		if errors.Is(err, windows.ERROR_SERVICE_ALREADY_RUNNING) {
			fmt.Fprintf(cmd.OutOrStdout(), "service %s is already running\n", o.name)
			return nil
		}
		return exitError{2, fmt.Errorf("start the service %s: %w", o.name, err)}
	}
	// Running means serving: it has recovered and watches every source.
	st, err := waitState(s, svc.Running, 5*time.Minute)
	if err != nil {
		return exitError{2, fmt.Errorf("the service %s did not start (%w); the Event Log (source %s) and its log file say why", o.name, err, o.name)}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "service %s %s\n", o.name, stateName(st.State))
	return nil
}

func serviceStop(cmd *cobra.Command, o serviceOptions) error {
	m, err := openManager()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := openService(m, o.name)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := stopAndWait(s); err != nil {
		return exitError{2, fmt.Errorf("stop the service %s: %w", o.name, err)}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "service %s stopped\n", o.name)
	return nil
}

func serviceStatus(cmd *cobra.Command, o serviceOptions) error {
	m, err := openManager()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	s, err := openService(m, o.name)
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := s.Query()
	if err != nil {
		return exitError{2, fmt.Errorf("query the service %s: %w", o.name, err)}
	}
	c, err := s.Config()
	if err != nil {
		return exitError{2, fmt.Errorf("read the configuration of the service %s: %w", o.name, err)}
	}
	account := c.ServiceStartName
	if account == "" {
		account = "LocalSystem"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "service %s: %s\ncommand: %s\naccount: %s\n", o.name, stateName(st.State), c.BinaryPathName, account)
	if st.State != svc.Running {
		if st.Win32ExitCode == uint32(windows.ERROR_SERVICE_SPECIFIC_ERROR) {
			fmt.Fprintf(cmd.OutOrStdout(), "last exit status: %d (the Event Log, source %s, says why)\n", st.ServiceSpecificExitCode, o.name)
		}
		return exitError{code: 1}
	}
	return nil
}

func stopAndWait(s *mgr.Service) error {
	st, err := s.Control(svc.Stop)
	if err != nil {
		if errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) {
			return nil
		}
		return err
	}
	if st.State == svc.Stopped {
		return nil
	}
	_, err = waitState(s, svc.Stopped, stopWait)
	return err
}

// waitState polls the service until it reaches want, stops (when want is not Stopped), or
// limit passes.
func waitState(s *mgr.Service, want svc.State, limit time.Duration) (svc.Status, error) {
	deadline := time.Now().Add(limit)
	for {
		st, err := s.Query()
		if err != nil {
			return st, err
		}
		if st.State == want {
			return st, nil
		}
		if st.State == svc.Stopped {
			return st, fmt.Errorf("it stopped with exit status %d", st.ServiceSpecificExitCode)
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("still %s after %s", stateName(st.State), limit)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func stateName(s svc.State) string {
	switch s {
	case svc.Stopped:
		return "stopped"
	case svc.StartPending:
		return "starting"
	case svc.StopPending:
		return "stopping"
	case svc.Running:
		return "running"
	case svc.ContinuePending, svc.PausePending, svc.Paused:
		return "paused"
	}
	return fmt.Sprintf("state %d", s)
}

// serviceRun is what the Service Control Manager starts (fluxgate service run -c FILE).
func serviceRun(cmd *cobra.Command, o serviceOptions) error {
	isService, err := svc.IsWindowsService()
	if err != nil {
		return exitError{2, fmt.Errorf("cannot tell whether the Service Control Manager started fluxgate: %w", err)}
	}
	if !isService {
		return exitError{2, errors.New("fluxgate service run is started by the Service Control Manager; in a console, run fluxgate run -c FILE")}
	}
	elog, err := eventlog.Open(o.name)
	if err != nil {
		return exitError{2, fmt.Errorf("open the Event Log source %s: %w", o.name, err)}
	}
	defer elog.Close()
	h := &windowsService{opts: o, events: elog}
	if err := svc.Run(o.name, h); err != nil {
		elog.Error(eventFailed, "Fluxgate could not run as the service "+o.name+": "+err.Error())
		return exitError{2, err}
	}
	if h.code != 0 {
		return exitError{code: h.code}
	}
	return nil
}

// windowsService connects runService to the Service Control Manager.
type windowsService struct {
	opts   serviceOptions
	events eventSink
	code   int
}

func (h *windowsService) Execute(_ []string, requests <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	const accepts = svc.AcceptStop | svc.AcceptShutdown
	stop := make(chan struct{})
	done := make(chan struct{})
	defer close(done)
	go func() {
		stopped := false
		for {
			select {
			case <-done:
				return
			case c := <-requests:
				switch c.Cmd {
				case svc.Interrogate:
					changes <- c.CurrentStatus
				case svc.Stop, svc.Shutdown:
					if !stopped {
						stopped = true
						close(stop)
					}
				}
			}
		}
	}()
	report := func(s serviceState) {
		switch s {
		case stateStartPending:
			changes <- svc.Status{State: svc.StartPending, WaitHint: 30000}
		case stateRunning:
			changes <- svc.Status{State: svc.Running, Accepts: accepts}
		case stateStopPending:
			changes <- svc.Status{State: svc.StopPending, WaitHint: uint32(stopWait.Milliseconds())}
		}
	}
	h.code = runService(h.opts, stop, report, h.events)
	if h.code != 0 {
		// A service-specific exit code: the SCM counts it a failure and restarts the service.
		return true, uint32(h.code)
	}
	return false, 0
}
