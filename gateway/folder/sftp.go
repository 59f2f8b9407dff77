package folder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
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
