package folder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

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
