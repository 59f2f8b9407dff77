package folder

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Defaults of SFTPOptions.
const (
	DefaultSFTPConnectTimeout = 20 * time.Second
	DefaultSFTPIOTimeout      = 60 * time.Second
	DefaultSFTPKeepalive      = 15 * time.Second
	DefaultSFTPMaxBackoff     = time.Minute
)

// SFTPOptions configure an SFTP folder. The host key is always verified, against KnownHosts
// or HostKey (exactly one of them).
type SFTPOptions struct {
	Host string
	Port int // 22 when zero
	User string
	// Path is the folder on the server: absolute, or relative to the login directory
	// ("" is the login directory).
	Path string

	KeyFile       string // private key (ed25519, ECDSA, RSA; OpenSSH or PEM format)
	KeyPassphrase string // secret: the key's passphrase, if it is encrypted
	Password      string // secret: password (and keyboard-interactive) authentication

	KnownHosts string // a known_hosts file holding the server's key
	HostKey    string // or the pinned key: "ssh-ed25519 AAAA…" or "SHA256:…"

	// ConnectTimeout bounds the TCP connection, the SSH handshake and the start of SFTP.
	ConnectTimeout time.Duration
	// IOTimeout: an operation that makes no progress for this long fails, and the
	// connection is dropped (the next operation reconnects).
	IOTimeout time.Duration
	// Keepalive is the period of the SSH keepalives that find a dead idle connection.
	Keepalive time.Duration
	// MaxBackoff caps the wait between failed connection attempts (1s, 2s, 4s, … up to it);
	// in between, operations fail at once with the last connection error.
	MaxBackoff time.Duration
	// Create makes the folder (and its parents) when it does not exist.
	Create bool
	// KeepTrying makes OpenSFTP return the folder even when the server cannot be reached or
	// refuses the connection (host key, login): the error is logged, ConnError returns it,
	// and operations try again with back-off. Errors in the options themselves (no host, an
	// unreadable key file, no known_hosts file) still fail OpenSFTP.
	KeepTrying bool
	// Logger receives the connection's life: lost, unreachable, host key refused (in full),
	// restored, each once per outage. Nil discards it.
	Logger *slog.Logger
}

// SFTP is a Folder in a directory of an SFTP server. It keeps one SSH connection, opened by
// OpenSFTP and reopened when it drops. No operation can hang: each one that makes no progress
// for IOTimeout fails and drops the connection. While the connection is down and someone
// listens (OnReconnect), it tries to reconnect by itself, so that the listeners hear as soon
// as the server is back.
type SFTP struct {
	opts SFTPOptions
	addr string
	name string
	auth []ssh.AuthMethod
	log  *slog.Logger
	stop chan struct{} // closed by Close: ends the reconnection loop

	mu       sync.Mutex // guards the fields below; held while connecting
	conn     *sftpConn
	root     string // absolute path of the folder, resolved at the first connection
	closed   bool
	started  bool // OpenSFTP is done (or keeps trying): connection failures are logged
	failures int
	nextTry  time.Time
	lastErr  error
	hostKey  ssh.PublicKey
	orphans  map[string]bool // temporary files left by a failed upload, removed after reconnecting
	connects atomic.Int64    // successful connections, for tests and doctor

	// The current outage, for the log (each event once) and ConnError.
	down            bool // the connection was lost or could not be made, and is not back
	downSince       time.Time
	attempts        int    // failed connection attempts during the outage
	toldUnreachable bool   // "unreachable" was logged for this outage
	toldHostKey     string // the host key error last logged
	subs            map[int]func()
	nextSub         int
	reconnecting    bool // reconnectLoop runs
}

var (
	_ Folder      = (*SFTP)(nil)
	_ Reconnector = (*SFTP)(nil)
)

// sftpConn is one SSH connection with its SFTP session.
type sftpConn struct {
	net  net.Conn
	ssh  *ssh.Client
	sftp *sftp.Client

	posixRename bool
	fsync       bool
	statvfs     bool

	done     chan struct{}
	doneOnce sync.Once
	cause    error // why the connection ended; read after done is closed
	handled  bool  // its end was taken into account (under SFTP.mu)
}

// errCut is the cause of a connection Fluxgate closed on purpose (an operation cancelled,
// the folder closed): not a loss.
var errCut = errors.New("connection closed by Fluxgate")

// drop closes the connection, recording why (the first cause wins).
func (c *sftpConn) drop(cause error) {
	c.doneOnce.Do(func() {
		c.cause = cause
		close(c.done)
		c.net.Close()
		c.sftp.Close()
		c.ssh.Close()
	})
}

func (c *sftpConn) dead() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// OpenSFTP checks opts, connects and finds the folder (creating it when opts.Create). A
// refused host key is a *HostKeyError.
func OpenSFTP(ctx context.Context, opts SFTPOptions) (*SFTP, error) {
	if opts.Host == "" {
		return nil, errors.New("sftp: host is missing")
	}
	if opts.User == "" {
		return nil, fmt.Errorf("sftp %s: user is missing", opts.Host)
	}
	if opts.Port == 0 {
		opts.Port = 22
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = DefaultSFTPConnectTimeout
	}
	if opts.IOTimeout <= 0 {
		opts.IOTimeout = DefaultSFTPIOTimeout
	}
	if opts.Keepalive <= 0 {
		opts.Keepalive = DefaultSFTPKeepalive
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultSFTPMaxBackoff
	}
	addr := net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port))
	s := &SFTP{opts: opts, addr: addr, orphans: map[string]bool{}, log: opts.Logger, stop: make(chan struct{}), subs: map[int]func(){}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.name = "sftp://" + opts.User + "@" + addr + "/" + strings.TrimPrefix(opts.Path, "/")
	if strings.HasPrefix(opts.Path, "/") {
		s.name = "sftp://" + opts.User + "@" + addr + opts.Path
	}
	if _, _, err := hostKeyCheck(&opts, addr); err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	auth, err := sftpAuth(&opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	s.auth = auth
	s.mu.Lock()
	s.started = opts.KeepTrying
	_, err = s.connectLocked(ctx)
	s.started = true
	s.mu.Unlock()
	if err != nil && !opts.KeepTrying {
		return nil, s.fail("connect", ".", err)
	}
	return s, nil
}

// clientConfig returns the SSH configuration of one connection attempt. The known_hosts file
// is read again at each attempt: once an administrator has checked and trusted a changed
// host key, the folder resumes without a restart.
func (s *SFTP) clientConfig() (*ssh.ClientConfig, error) {
	check, algos, err := hostKeyCheck(&s.opts, s.addr)
	if err != nil {
		return nil, err
	}
	return &ssh.ClientConfig{
		User: s.opts.User,
		Auth: s.auth,
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			err := check(hostname, remote, key)
			if err == nil {
				s.hostKey = key // under s.mu: connect holds it
			}
			return err
		},
		HostKeyAlgorithms: algos,
		Timeout:           s.opts.ConnectTimeout,
	}, nil
}

func sftpAuth(opts *SFTPOptions) ([]ssh.AuthMethod, error) {
	var auth []ssh.AuthMethod
	if opts.KeyFile != "" {
		data, err := os.ReadFile(opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("key_file: %w", err)
		}
		signer, err := ssh.ParsePrivateKey(data)
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			if opts.KeyPassphrase == "" {
				return nil, fmt.Errorf("key_file %s is encrypted: set key_passphrase_env to the name of an environment variable that holds its passphrase", opts.KeyFile)
			}
			signer, err = ssh.ParsePrivateKeyWithPassphrase(data, []byte(opts.KeyPassphrase))
			if errors.Is(err, x509IncorrectPassword) || (err != nil && strings.Contains(err.Error(), "decryption password incorrect")) {
				return nil, fmt.Errorf("key_file %s: the passphrase is wrong", opts.KeyFile)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("key_file %s: %w", opts.KeyFile, err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if opts.Password != "" {
		pw := opts.Password
		auth = append(auth, ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, questions []string, echos []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range questions {
					if !echos[i] {
						answers[i] = pw
					}
				}
				return answers, nil
			}))
	}
	if len(auth) == 0 {
		return nil, errors.New("no credentials: set key_file (and key_passphrase_env if it is encrypted) or password_env")
	}
	return auth, nil
}

// x509IncorrectPassword is the error of a wrong passphrase on a PEM key.
var x509IncorrectPassword = errors.New("x509: decryption password incorrect")

// String names the folder: sftp://user@host:port/path (never with a secret).
func (s *SFTP) String() string { return s.name }

// Root returns the absolute path of the folder on the server.
func (s *SFTP) Root() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.root
}

// HostKey returns the server's verified host key (as "type SHA256:…").
func (s *SFTP) HostKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hostKey == nil {
		return ""
	}
	return s.hostKey.Type() + " " + ssh.FingerprintSHA256(s.hostKey)
}

// Connections returns how many times the folder connected successfully.
func (s *SFTP) Connections() int64 { return s.connects.Load() }

// Close closes the connection; later operations fail.
func (s *SFTP) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		close(s.stop)
	}
	s.closed = true
	if s.conn != nil {
		s.conn.drop(errCut)
		s.conn = nil
	}
	return nil
}

// ConnError returns why the folder is not connected while the connection is lost or cannot
// be made (a *HostKeyError when the server's key is refused), and nil otherwise.
func (s *SFTP) ConnError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return s.lastErr
	}
	return nil
}

// OnReconnect implements Reconnector.
func (s *SFTP) OnReconnect(fn func()) (cancel func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextSub
	s.nextSub++
	s.subs[id] = fn
	if s.down {
		s.startReconnectLocked()
	}
	return func() {
		s.mu.Lock()
		delete(s.subs, id)
		s.mu.Unlock()
	}
}

// client returns the live connection, connecting when there is none (unless a back-off
// after failed attempts is running, in which case the last error is returned at once).
func (s *SFTP) client(ctx context.Context) (*sftpConn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fs.ErrClosed
	}
	if s.conn != nil && !s.conn.dead() {
		return s.conn, nil
	}
	if s.conn != nil {
		s.lostLocked(s.conn)
	}
	if wait := time.Until(s.nextTry); wait > 0 {
		return nil, fmt.Errorf("not connected (next attempt in %s): %w", wait.Round(time.Millisecond), s.lastErr)
	}
	return s.connectLocked(ctx)
}

func (s *SFTP) connectLocked(ctx context.Context) (*sftpConn, error) {
	c, err := s.dial(ctx)
	if err != nil {
		s.connFailedLocked(err)
		return nil, err
	}
	s.failures, s.nextTry, s.lastErr = 0, time.Time{}, nil
	s.conn = c
	s.connects.Add(1)
	go s.watchConn(c)
	// Temporary files of uploads cut by the previous connection.
	for p := range s.orphans {
		delete(s.orphans, p)
		wd := c.watch(ctx, s.opts.IOTimeout)
		_ = c.sftp.Remove(p)
		wd.stop()
	}
	if s.down {
		s.log.Info("SFTP connection restored", "folder", s.name,
			"down_for", time.Since(s.downSince).Round(time.Millisecond), "failed_attempts", s.attempts)
		s.down, s.attempts, s.toldUnreachable, s.toldHostKey = false, 0, false, ""
		subs := make([]func(), 0, len(s.subs))
		for _, fn := range s.subs {
			subs = append(subs, fn)
		}
		go func() { // not under s.mu: a listener may use the folder
			for _, fn := range subs {
				fn()
			}
		}()
	}
	return c, nil
}

// connFailedLocked records a failed connection attempt: the back-off, and the outage's log
// lines (unreachable once; a refused host key in full, once per key offered).
func (s *SFTP) connFailedLocked(err error) {
	s.failures++
	backoff := min(time.Second<<min(s.failures-1, 16), s.opts.MaxBackoff)
	s.nextTry = time.Now().Add(backoff)
	s.lastErr = err
	if !s.started {
		return // OpenSFTP returns the error to its caller
	}
	if !s.down {
		s.down, s.downSince = true, time.Now()
	}
	s.attempts++
	var hk *HostKeyError
	switch {
	case errors.As(err, &hk):
		if msg := err.Error(); msg != s.toldHostKey {
			s.toldHostKey = msg
			s.log.Error("SFTP server refused: its host key is not trusted, so nothing is read from or written to it; the folder is paused until the key is checked and trusted (known_hosts is read again at each attempt)",
				"folder", s.name, "err", err)
		}
	case !s.toldUnreachable:
		s.toldUnreachable = true
		s.log.Warn("SFTP server unreachable; trying again with back-off", "folder", s.name, "max_backoff", s.opts.MaxBackoff, "err", err)
	}
	s.startReconnectLocked()
}

// watchConn takes the end of c into account as soon as it happens.
func (s *SFTP) watchConn(c *sftpConn) {
	<-c.done
	s.mu.Lock()
	s.lostLocked(c)
	s.mu.Unlock()
}

// lostLocked takes the end of connection c into account, once: a loss (not a close on
// purpose) starts an outage, logged once.
func (s *SFTP) lostLocked(c *sftpConn) {
	if c.handled {
		return
	}
	c.handled = true
	if s.conn == c {
		s.conn = nil
	}
	if s.closed || errors.Is(c.cause, errCut) {
		return
	}
	s.lastErr = c.cause
	if !s.down {
		s.down, s.downSince, s.attempts = true, time.Now(), 0
		s.log.Warn("SFTP connection lost; reconnecting", "folder", s.name, "err", c.cause)
	}
	s.startReconnectLocked()
}

// startReconnectLocked starts the reconnection loop when someone waits for the connection.
func (s *SFTP) startReconnectLocked() {
	if s.reconnecting || s.closed || len(s.subs) == 0 {
		return
	}
	s.reconnecting = true
	go s.reconnectLoop()
}

// reconnectLoop tries to connect, with the back-off of failed attempts, until the
// connection is back, nobody listens any more, or the folder is closed.
func (s *SFTP) reconnectLoop() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		s.mu.Lock()
		if s.closed || len(s.subs) == 0 || !s.down {
			s.reconnecting = false
			s.mu.Unlock()
			return
		}
		wait := time.Until(s.nextTry)
		s.mu.Unlock()
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
			continue
		}
		_, _ = s.client(ctx) // logs and notifies
	}
}

func (s *SFTP) dial(ctx context.Context) (_ *sftpConn, err error) {
	config, err := s.clientConfig()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.ConnectTimeout)
	defer cancel()
	d := net.Dialer{KeepAlive: s.opts.Keepalive}
	nc, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, err
	}
	deadline, _ := ctx.Deadline()
	_ = nc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	sc, chans, reqs, err := ssh.NewClientConn(nc, s.addr, config)
	if err != nil {
		nc.Close()
		var hk *HostKeyError
		if errors.As(err, &hk) {
			return nil, hk
		}
		if strings.Contains(err.Error(), "unable to authenticate") {
			return nil, fmt.Errorf("%w (the server refused user %q: check the user, and that the public key of key_file is in its authorized_keys, or the password)", err, s.opts.User)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("no SSH handshake within %s: %w", s.opts.ConnectTimeout, err)
		}
		return nil, err
	}
	client := ssh.NewClient(sc, chans, reqs)
	sc2, err := sftp.NewClient(client)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("start SFTP: %w", err)
	}
	c := &sftpConn{net: nc, ssh: client, sftp: sc2, done: make(chan struct{})}
	_, c.posixRename = sc2.HasExtension("posix-rename@openssh.com")
	_, c.fsync = sc2.HasExtension("fsync@openssh.com")
	_, c.statvfs = sc2.HasExtension("statvfs@openssh.com")
	if s.root == "" {
		root := s.opts.Path
		if !path.IsAbs(root) {
			wd, err := sc2.Getwd()
			if err != nil {
				c.drop(errCut)
				return nil, fmt.Errorf("login directory: %w", err)
			}
			root = path.Join(wd, root)
		}
		root = path.Clean(root)
		if s.opts.Create {
			if err := sc2.MkdirAll(root); err != nil {
				c.drop(errCut)
				return nil, fmt.Errorf("create %s: %w", root, err)
			}
		}
		fi, err := sc2.Stat(root)
		if err != nil {
			c.drop(errCut)
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("directory %s does not exist on the server: %w", root, ErrNotExist)
			}
			return nil, fmt.Errorf("directory %s: %w", root, err)
		}
		if !fi.IsDir() {
			c.drop(errCut)
			return nil, fmt.Errorf("%s is not a directory on the server", root)
		}
		s.root = root
	}
	_ = nc.SetDeadline(time.Time{})
	go func() {
		err := client.Wait()
		if err == nil || errors.Is(err, io.EOF) {
			c.drop(errors.New("the server closed the connection"))
		} else {
			c.drop(fmt.Errorf("connection closed: %w", err))
		}
	}()
	go c.keepalive(s.opts.Keepalive, s.opts.IOTimeout)
	return c, nil
}

// keepalive sends an SSH keepalive every period and drops the connection when one is not
// answered within timeout.
func (c *sftpConn) keepalive(period, timeout time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		answered := make(chan error, 1)
		go func() {
			_, _, err := c.ssh.SendRequest("keepalive@openssh.com", true, nil)
			answered <- err
		}()
		timer := time.NewTimer(timeout)
		select {
		case err := <-answered:
			if err != nil {
				c.drop(fmt.Errorf("keepalive: %w", err))
			}
		case <-timer.C:
			c.drop(fmt.Errorf("no answer to a keepalive within %s", timeout))
		case <-c.done:
		}
		timer.Stop()
	}
}

// watchdog drops the connection when an operation makes no progress for its timeout, or
// when its context ends.
type watchdog struct {
	c       *sftpConn
	d       time.Duration
	t       *time.Timer
	fired   atomic.Bool
	stopCtx func() bool
}

func (c *sftpConn) watch(ctx context.Context, d time.Duration) *watchdog {
	w := &watchdog{c: c, d: d}
	w.t = time.AfterFunc(d, func() {
		w.fired.Store(true)
		c.drop(fmt.Errorf("no answer from the server for %s", d))
	})
	w.stopCtx = context.AfterFunc(ctx, func() { c.drop(errCut) })
	return w
}

func (w *watchdog) kick() { w.t.Reset(w.d) }

func (w *watchdog) stop() {
	w.t.Stop()
	w.stopCtx()
}

// serverSaid reports whether err is an answer of the server (the connection is fine), as
// opposed to a broken or timed-out connection.
func serverSaid(err error) bool {
	var st *sftp.StatusError
	return errors.As(err, &st) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) ||
		errors.Is(err, ErrOutside) || errors.Is(err, ErrExist) || errors.Is(err, errEmptyName) || errors.Is(err, errIsDir) ||
		errors.Is(err, ErrNotRegular)
}

var errIsDir = errors.New("is a directory")

// do runs op on the connection under a watchdog. A failure that is not an answer of the
// server drops the connection.
func (s *SFTP) do(ctx context.Context, op func(c *sftpConn, wd *watchdog) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c, err := s.client(ctx)
	if err != nil {
		return err
	}
	wd := c.watch(ctx, s.opts.IOTimeout)
	err = op(c, wd)
	wd.stop()
	if err == nil {
		return nil
	}
	switch {
	case wd.fired.Load():
		err = fmt.Errorf("no answer from the server for %s, connection dropped: %w", s.opts.IOTimeout, err)
	case ctx.Err() != nil:
		err = errors.Join(ctx.Err(), err)
	case c.dead():
		err = fmt.Errorf("connection lost: %w", err)
	case !serverSaid(err):
		c.drop(err)
	}
	return err
}

func (s *SFTP) fail(op, name string, err error) error {
	var pe *PathError
	if errors.As(err, &pe) {
		return err
	}
	return &PathError{Op: op, Folder: s.name, Name: name, Kind: kindOf(err), Err: err}
}

func (s *SFTP) abs(clean string) string {
	if clean == "." {
		return s.root
	}
	return s.root + "/" + clean
}

// check is Local.check over SFTP: every element of the name that exists is looked at with
// lstat, and a symbolic link anywhere is refused with ErrOutside.
func (s *SFTP) check(c *sftpConn, wd *watchdog, name string, allowRoot bool) (string, os.FileInfo, error) {
	clean, err := cleanName(name, allowRoot)
	if err != nil {
		return "", nil, err
	}
	if clean == "." {
		fi, err := c.sftp.Stat(s.root)
		return clean, fi, err
	}
	elems := strings.Split(clean, "/")
	for i := range elems {
		prefix := strings.Join(elems[:i+1], "/")
		fi, err := c.sftp.Lstat(s.abs(prefix))
		wd.kick()
		if errors.Is(err, os.ErrNotExist) {
			return clean, nil, nil
		}
		if err != nil {
			return "", nil, err
		}
		if fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
			return "", nil, fmt.Errorf("%s is a symbolic link: %w", prefix, ErrOutside)
		}
		if i == len(elems)-1 {
			return clean, fi, nil
		}
		if !fi.IsDir() {
			return "", nil, fmt.Errorf("%s is not a directory: %w", prefix, ErrNotExist)
		}
	}
	panic("unreachable")
}

// checkExisting is check for an operation on a name that must exist: an absent name is
// os.ErrNotExist rather than a nil FileInfo.
func (s *SFTP) checkExisting(c *sftpConn, wd *watchdog, name string, allowRoot bool) (string, os.FileInfo, error) {
	clean, fi, err := s.check(c, wd, name, allowRoot)
	if err == nil && fi == nil {
		err = os.ErrNotExist
	}
	return clean, fi, err
}

// List implements Folder.
func (s *SFTP) List(ctx context.Context, dir string) ([]FileInfo, error) {
	var out []FileInfo
	err := s.do(ctx, func(c *sftpConn, wd *watchdog) error {
		clean, fi, err := s.checkExisting(c, wd, dir, true)
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return errors.New("not a directory")
		}
		entries, err := c.sftp.ReadDirContext(ctx, s.abs(clean))
		if err != nil {
			return err
		}
		out = make([]FileInfo, 0, len(entries))
		for _, e := range entries {
			if e.Name() == "." || e.Name() == ".." {
				continue
			}
			name := e.Name()
			if clean != "." {
				name = clean + "/" + name
			}
			out = append(out, toFileInfo(name, e))
		}
		return nil
	})
	if err != nil {
		return nil, s.fail("list", dir, err)
	}
	slices.SortFunc(out, func(a, b FileInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Stat implements Folder. A symbolic link is refused with ErrOutside.
func (s *SFTP) Stat(ctx context.Context, name string) (FileInfo, error) {
	var out FileInfo
	err := s.do(ctx, func(c *sftpConn, wd *watchdog) error {
		clean, fi, err := s.checkExisting(c, wd, name, true)
		if err != nil {
			return err
		}
		out = toFileInfo(clean, fi)
		return nil
	})
	if err != nil {
		return FileInfo{}, s.fail("stat", name, err)
	}
	return out, nil
}

// Open implements Folder. Each read is under the I/O timeout. Only a regular file is opened.
func (s *SFTP) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	var f *sftp.File
	var conn *sftpConn
	err := s.do(ctx, func(c *sftpConn, wd *watchdog) error {
		clean, fi, err := s.checkExisting(c, wd, name, false)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return errIsDir
		}
		if !fi.Mode().IsRegular() {
			return notRegular(fi.Mode()) // the server could wait for ever on a named pipe
		}
		f, err = c.sftp.Open(s.abs(clean))
		conn = c
		return err
	})
	if err != nil {
		return nil, s.fail("open", name, err)
	}
	return &sftpReader{s: s, c: conn, f: f, ctx: ctx, name: name}, nil
}

type sftpReader struct {
	s    *SFTP
	c    *sftpConn
	f    *sftp.File
	ctx  context.Context
	name string
}

func (r *sftpReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, r.s.fail("read", r.name, err)
	}
	wd := r.c.watch(r.ctx, r.s.opts.IOTimeout)
	n, err := r.f.Read(p)
	wd.stop()
	if err != nil && err != io.EOF {
		if wd.fired.Load() {
			err = fmt.Errorf("no answer from the server for %s, connection dropped: %w", r.s.opts.IOTimeout, err)
		} else if !serverSaid(err) {
			r.c.drop(err)
		}
		return n, r.s.fail("read", r.name, err)
	}
	return n, err
}

func (r *sftpReader) Close() error {
	if r.c.dead() {
		return nil
	}
	wd := r.c.watch(context.WithoutCancel(r.ctx), r.s.opts.IOTimeout)
	defer wd.stop()
	return r.f.Close()
}

// WriteAtomic implements Folder: it uploads into ".<name>.<random>.tmp" in the same
// directory, checks that the server holds every byte (and has it on disk, when the server
// offers fsync), then renames it over name (posix-rename@openssh.com when offered, which
// replaces name atomically; otherwise name is removed first). A file is never visible
// under name while incomplete. On failure the temporary file is removed, at once or after
// reconnecting.
func (s *SFTP) WriteAtomic(ctx context.Context, name string, r io.Reader) error {
	var tmp string
	err := s.do(ctx, func(c *sftpConn, wd *watchdog) (err error) {
		clean, fi, err := s.check(c, wd, name, false)
		if err != nil {
			return err
		}
		if fi != nil && fi.IsDir() {
			return errIsDir
		}
		dir, base := path.Split(clean)
		dir = strings.TrimSuffix(dir, "/")
		if dir == "" {
			dir = "."
		}
		if _, dfi, err := s.check(c, wd, dir, true); err != nil || dfi == nil {
			if err == nil {
				err = fmt.Errorf("directory %s: %w", dir, os.ErrNotExist)
			}
			return err
		}
		var rnd [6]byte
		_, _ = rand.Read(rnd[:])
		tmp = s.abs(path.Join(dir, "."+base+"."+hex.EncodeToString(rnd[:])+".tmp"))
		f, err := c.sftp.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		if err != nil {
			tmp = ""
			return err
		}
		defer func() {
			if err != nil {
				f.Close()
			}
		}()
		var written int64
		buf := make([]byte, 32<<10)
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			n, rerr := r.Read(buf)
			if n > 0 {
				wd.kick()
				if _, err := f.Write(buf[:n]); err != nil {
					return err
				}
				written += int64(n)
				wd.kick()
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				return rerr
			}
		}
		if c.fsync {
			if err := f.Sync(); err != nil {
				return fmt.Errorf("fsync: %w", err)
			}
		}
		if err := f.Close(); err != nil {
			return err
		}
		st, err := c.sftp.Stat(tmp)
		if err != nil {
			return err
		}
		if st.Size() != written {
			return fmt.Errorf("upload incomplete: the server holds %d bytes of %d", st.Size(), written)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		final := s.abs(clean)
		if c.posixRename {
			if err := c.sftp.PosixRename(tmp, final); err != nil {
				return err
			}
		} else if err := c.sftp.Rename(tmp, final); err != nil {
			// A plain SFTP rename does not replace: remove the old file, then rename.
			if _, serr := c.sftp.Lstat(final); serr != nil {
				return err
			}
			if err := c.sftp.Remove(final); err != nil {
				return err
			}
			if err := c.sftp.Rename(tmp, final); err != nil {
				return err
			}
		}
		tmp = ""
		return nil
	})
	if err != nil {
		if tmp != "" {
			s.removeTemp(ctx, tmp)
		}
		return s.fail("write", name, err)
	}
	return nil
}

// removeTemp removes a temporary upload now if the connection is alive, or after the next
// connection otherwise.
func (s *SFTP) removeTemp(ctx context.Context, tmp string) {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c != nil && !c.dead() {
		wd := c.watch(context.WithoutCancel(ctx), s.opts.IOTimeout)
		err := c.sftp.Remove(tmp)
		wd.stop()
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
	}
	s.mu.Lock()
	s.orphans[tmp] = true
	s.mu.Unlock()
}

// Rename implements Folder. It fails with ErrExist if to exists (checked first, as for local
// folders). It uses posix-rename@openssh.com when the server offers it. When the connection
// breaks during the rename, the outcome is checked on a new connection, so a rename that
// happened is not reported as failed.
func (s *SFTP) Rename(ctx context.Context, from, to string) error {
	var cfrom, cto string
	err := s.do(ctx, func(c *sftpConn, wd *watchdog) error {
		var tfi os.FileInfo
		var err error
		cfrom, _, err = s.checkExisting(c, wd, from, false)
		if err != nil {
			return err
		}
		cto, tfi, err = s.check(c, wd, to, false)
		if err != nil {
			return err
		}
		if tfi != nil {
			return ErrExist
		}
		if c.posixRename {
			return c.sftp.PosixRename(s.abs(cfrom), s.abs(cto))
		}
		return c.sftp.Rename(s.abs(cfrom), s.abs(cto))
	})
	if err != nil && cfrom != "" && cto != "" && !serverSaid(err) && ctx.Err() == nil {
		// Did it happen? Look on a new connection.
		verr := s.do(ctx, func(c *sftpConn, wd *watchdog) error {
			_, ffi, err := s.check(c, wd, cfrom, false)
			if err != nil {
				return err
			}
			_, tfi, err := s.check(c, wd, cto, false)
			if err != nil {
				return err
			}
			if ffi == nil && tfi != nil {
				return nil
			}
			return errors.New("not renamed")
		})
		if verr == nil {
			return nil
		}
	}
	if err != nil {
		return s.fail("rename", from+" -> "+to, err)
	}
	return nil
}

// Remove implements Folder. It removes a file or an empty directory.
func (s *SFTP) Remove(ctx context.Context, name string) error {
	err := s.do(ctx, func(c *sftpConn, wd *watchdog) error {
		clean, fi, err := s.checkExisting(c, wd, name, false)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			return c.sftp.RemoveDirectory(s.abs(clean))
		}
		return c.sftp.Remove(s.abs(clean))
	})
	if err != nil {
		return s.fail("remove", name, err)
	}
	return nil
}

// MkdirAll implements Folder.
func (s *SFTP) MkdirAll(ctx context.Context, dir string) error {
	err := s.do(ctx, func(c *sftpConn, wd *watchdog) error {
		clean, fi, err := s.check(c, wd, dir, true)
		if err != nil {
			return err
		}
		if fi != nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s exists and is not a directory", clean)
			}
			return nil
		}
		elems := strings.Split(clean, "/")
		for i := range elems {
			p := s.abs(strings.Join(elems[:i+1], "/"))
			fi, err := c.sftp.Lstat(p)
			wd.kick()
			switch {
			case err == nil && fi.IsDir():
				continue
			case err == nil:
				return fmt.Errorf("%s exists and is not a directory", p)
			case !errors.Is(err, os.ErrNotExist):
				return err
			}
			if err := c.sftp.Mkdir(p); err != nil {
				if fi, serr := c.sftp.Lstat(p); serr == nil && fi.IsDir() {
					continue // made meanwhile by someone else
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.fail("mkdir", dir, err)
	}
	return nil
}

// ErrNoSpaceInfo is returned by FreeSpace when the server does not report free space.
var ErrNoSpaceInfo = errors.New("the server does not report free space (no statvfs@openssh.com)")

// FreeSpace returns the bytes available to the user in the folder's file system, when the
// server reports it (statvfs@openssh.com); otherwise ErrNoSpaceInfo.
func (s *SFTP) FreeSpace(ctx context.Context) (uint64, error) {
	var free uint64
	err := s.do(ctx, func(c *sftpConn, _ *watchdog) error {
		if !c.statvfs {
			return ErrNoSpaceInfo
		}
		st, err := c.sftp.StatVFS(s.root)
		if err != nil {
			return err
		}
		free = st.Frsize * st.Bavail
		return nil
	})
	if errors.Is(err, ErrNoSpaceInfo) {
		return 0, err
	}
	if err != nil {
		return 0, s.fail("statvfs", ".", err)
	}
	return free, nil
}

// Extensions lists the SFTP extensions of the current connection that Fluxgate uses.
func (s *SFTP) Extensions(ctx context.Context) ([]string, error) {
	var out []string
	err := s.do(ctx, func(c *sftpConn, _ *watchdog) error {
		if c.posixRename {
			out = append(out, "posix-rename@openssh.com")
		}
		if c.fsync {
			out = append(out, "fsync@openssh.com")
		}
		if c.statvfs {
			out = append(out, "statvfs@openssh.com")
		}
		return nil
	})
	return out, err
}

// remoteClock marks folders whose modification times come from another machine's clock:
// the watcher does not compare them with the local clock.
func (s *SFTP) remoteClock() {}
