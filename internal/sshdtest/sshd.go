package sshdtest

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluxgate/fluxgate/internal/testutil"
)

// OpenSSH is OpenSSH's sshd run by the test as a child process on 127.0.0.1, with generated
// host and user keys, serving Root through internal-sftp. Kill and Start stop and restart
// it on the same port with the same keys.
type OpenSSH struct {
	Server

	t      testing.TB
	sshd   string
	config string

	mu     sync.Mutex
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
}

// StartOpenSSH starts sshd for the test, or skips it (fails it under
// FLUXGATE_REQUIRE_TOOLS=1) when sshd is not installed.
func StartOpenSSH(t testing.TB) *OpenSSH {
	t.Helper()
	sshd := "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		sshd = testutil.Tool(t, "sshd")
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := &OpenSSH{
		Server: Server{
			Host: "127.0.0.1", Port: freePort(t), User: u.Username, Root: filepath.Join(dir, "home"), dir: dir,
			HostKey: NewKey(t, dir, "host_ed25519", "ed25519", ""),
			UserKey: NewKey(t, dir, "id_ed25519", "ed25519", ""),
		},
		t: t, sshd: sshd,
	}
	mustMkdir(t, s.Root)
	if os.Geteuid() == 0 {
		mustMkdir(t, "/run/sshd") // the privilege separation directory
	}
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, []byte(s.UserKey.AuthorizedLine()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.config = filepath.Join(dir, "sshd_config")
	cfg := strings.Join([]string{
		"Port " + strconv.Itoa(s.Port),
		"ListenAddress 127.0.0.1",
		"HostKey " + s.HostKey.File,
		"AuthorizedKeysFile " + authorized,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"StrictModes no",
		"UsePAM no",
		"PermitRootLogin prohibit-password",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"AllowTcpForwarding no",
		"X11Forwarding no",
		"MaxStartups 100",
		"LogLevel VERBOSE",
		"Subsystem sftp internal-sftp -d " + s.Root,
		"",
	}, "\n")
	if err := os.WriteFile(s.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s.writeKnownHosts(t)
	t.Cleanup(s.Kill)
	s.Start()
	return s
}

// Start starts sshd (again) and waits until it accepts connections.
func (s *OpenSSH) Start() {
	t := s.t
	t.Helper()
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		t.Fatal("sshdtest: sshd is running already")
	}
	cmd := exec.Command(s.sshd, "-D", "-e", "-f", s.config)
	cmd.WaitDelay = 10 * time.Second // should a child outlive Kill, Wait does not hang on its pipe
	s.stderr = &syncBuffer{}
	cmd.Stdout = s.stderr
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		t.Fatalf("sshdtest: start sshd: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()

	deadline := time.Now().Add(30 * time.Second) // a safety net only
	for {
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("sshdtest: sshd exited at start:\n%s", s.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshdtest: sshd does not listen on %s:\n%s", s.Addr(), s.stderr.String())
		}
	}
}

// Kill kills sshd and every process it started (one per connection), at once, as a crash
// does: open connections break.
func (s *OpenSSH) Kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	// Stopped first, sshd cannot fork for a connection that arrives meanwhile (a client
	// reconnecting at once): such a child would survive, holding the output pipe open.
	freeze(cmd.Process)
	for _, pid := range descendants(cmd.Process.Pid) {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
	}
	_ = cmd.Process.Kill()
	<-exited
}

// Log returns what sshd wrote so far (for failure messages).
func (s *OpenSSH) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stderr == nil {
		return ""
	}
	return s.stderr.String()
}

// descendants lists the processes below pid, read from /proc (Linux). sshd's per-connection
// processes start their own sessions, so a process group kill would miss them.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		rest := data[bytes.LastIndexByte(data, ')')+1:]
		fields := strings.Fields(string(rest))
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		children[ppid] = append(children[ppid], p)
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
