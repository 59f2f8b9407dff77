package sshdtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// InProcess is an SSH server with the SFTP subsystem running in the test process, serving
// Root. It can cut its connections (as a network failure does) or stall them (a server that
// keeps the connection open and never answers).
type InProcess struct {
	Server
	Password string // accepted for User besides the user key, when set

	ln     net.Listener
	mu     sync.Mutex
	conns  map[*gateConn]bool
	stall  chan struct{} // closed while not stalled; a fresh open channel while stalled
	accept int
	wg     sync.WaitGroup
}

// InProcessOptions tune StartInProcess.
type InProcessOptions struct {
	Password string // accepted besides the user key
	UserKey  string // "ed25519" (default), "ecdsa" or "rsa"
	// Passphrase encrypts the user key file.
	Passphrase string
	// ReadOnly refuses every change (as a user without write rights sees it).
	ReadOnly bool
}

// StartInProcess starts an in-process SFTP server on 127.0.0.1, stopped at the end of the test.
func StartInProcess(t testing.TB, opts InProcessOptions) *InProcess {
	t.Helper()
	dir := t.TempDir()
	kind := opts.UserKey
	if kind == "" {
		kind = "ed25519"
	}
	s := &InProcess{
		Server: Server{
			Host: "127.0.0.1", User: "fluxgate", Root: filepath.Join(dir, "home"), dir: dir,
			HostKey: NewKey(t, dir, "host_ed25519", "ed25519", ""),
			UserKey: NewKey(t, dir, "id_"+kind, kind, opts.Passphrase),
		},
		Password: opts.Password,
		conns:    map[*gateConn]bool{},
		stall:    make(chan struct{}),
	}
	close(s.stall)
	mustMkdir(t, s.Root)
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if meta.User() == s.User && bytes.Equal(key.Marshal(), s.UserKey.Public.Marshal()) {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("unknown key")
		},
	}
	if opts.Password != "" {
		cfg.PasswordCallback = func(meta ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if meta.User() == s.User && string(pw) == opts.Password {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("wrong password")
		}
	}
	cfg.AddHostKey(s.HostKey.Signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	s.Port = ln.Addr().(*net.TCPAddr).Port
	s.writeKnownHosts(t)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			gc := &gateConn{Conn: nc, s: s}
			s.mu.Lock()
			s.conns[gc] = true
			s.accept++
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer func() {
					s.mu.Lock()
					delete(s.conns, gc)
					s.mu.Unlock()
					gc.Close()
				}()
				s.serve(gc, cfg, opts.ReadOnly)
			}()
		}
	}()
	t.Cleanup(s.Close)
	return s
}

func (s *InProcess) serve(nc net.Conn, cfg *ssh.ServerConfig, readOnly bool) {
	sc, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs) // keepalives get an answer (false)
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, chReqs, err := nch.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer ch.Close()
			for req := range chReqs {
				ok := req.Type == "subsystem" && len(req.Payload) >= 4 && string(req.Payload[4:]) == "sftp"
				req.Reply(ok, nil)
				if !ok {
					continue
				}
				go func() { // the channel's remaining requests are refused
					for r := range chReqs {
						r.Reply(false, nil)
					}
				}()
				sopts := []sftp.ServerOption{sftp.WithServerWorkingDirectory(s.Root)}
				if readOnly {
					sopts = append(sopts, sftp.ReadOnly())
				}
				srv, err := sftp.NewServer(ch, sopts...)
				if err != nil {
					return
				}
				_ = srv.Serve()
				srv.Close()
				return
			}
		}()
	}
}

// Cut closes every open connection at once, as a network failure or a server restart does.
func (s *InProcess) Cut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Conn.Close()
	}
}

// Stall makes the server stop reading from its connections (they stay open): a hung
// server. Resume undoes it.
func (s *InProcess) Stall() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.stall:
		s.stall = make(chan struct{})
	default:
	}
}

// Resume lets a stalled server answer again.
func (s *InProcess) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.stall:
	default:
		close(s.stall)
	}
}

// Accepted is the number of connections accepted so far.
func (s *InProcess) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accept
}

// Close stops the server and waits for its goroutines.
func (s *InProcess) Close() {
	s.ln.Close()
	s.Resume()
	s.Cut()
	s.wg.Wait()
}

// gateConn blocks reads while the server is stalled.
type gateConn struct {
	net.Conn
	s *InProcess
}

func (c *gateConn) Read(p []byte) (int, error) {
	c.s.mu.Lock()
	gate := c.s.stall
	c.s.mu.Unlock()
	<-gate
	return c.Conn.Read(p)
}

func (s *InProcess) String() string { return fmt.Sprintf("in-process sftp %s", s.Addr()) }
