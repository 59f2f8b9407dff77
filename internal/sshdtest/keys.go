// Package sshdtest runs SFTP servers for tests: one in the test process (x/crypto/ssh with
// pkg/sftp's server, fast, able to cut or stall its connections) and OpenSSH's sshd as a
// child process (the real thing), both on 127.0.0.1 with generated host and user keys.
package sshdtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Key is a generated key pair, its private half written to a file.
type Key struct {
	File   string // the private key, OpenSSH format, mode 0600
	Signer ssh.Signer
	Public ssh.PublicKey
}

// AuthorizedLine is the public key as an authorized_keys line ("ssh-ed25519 AAAA…").
func (k Key) AuthorizedLine() string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k.Public)))
}

// NewKey generates a key of type kind ("ed25519", "ecdsa", "rsa") into dir/name; with a
// passphrase, the file is encrypted.
func NewKey(t testing.TB, dir, name, kind, passphrase string) Key {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch kind {
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "ecdsa":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		t.Fatalf("unknown key kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "fluxgate-test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "fluxgate-test", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	return Key{File: file, Signer: signer, Public: signer.PublicKey()}
}

// Server is what tests need to know of a running SFTP server.
type Server struct {
	Host string
	Port int
	User string
	// Root is the login directory, on the local disk: relative paths in the SFTP session
	// are relative to it, and tests look at the files in it directly.
	Root       string
	HostKey    Key
	UserKey    Key
	KnownHosts string // a known_hosts file holding HostKey for [Host]:Port

	dir string
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

func (s *Server) writeKnownHosts(t testing.TB) {
	t.Helper()
	s.KnownHosts = filepath.Join(s.dir, "known_hosts")
	line := knownhosts.Line([]string{s.Addr()}, s.HostKey.Public)
	if err := os.WriteFile(s.KnownHosts, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// WrongKnownHosts writes a known_hosts file that holds another key for the server, as after
// a man in the middle, and returns its path.
func (s *Server) WrongKnownHosts(t testing.TB) string {
	t.Helper()
	other := NewKey(t, t.TempDir(), "other_host_key", "ed25519", "")
	file := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{s.Addr()}, other.Public)
	if err := os.WriteFile(file, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func mustMkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(fmt.Errorf("sshdtest: %w", err))
	}
}

// Client opens a plain SFTP client to the server with the user key (host key checked), for
// tests that act as the other side: a slow uploader, a platform picking files up.
func (s *Server) Client(t testing.TB) *sftp.Client {
	t.Helper()
	cb, err := knownhosts.New(s.KnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ssh.Dial("tcp", s.Addr(), &ssh.ClientConfig{
		User: s.User, Auth: []ssh.AuthMethod{ssh.PublicKeys(s.UserKey.Signer)}, HostKeyCallback: cb,
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sftp.NewClient(conn)
	if err != nil {
		conn.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); conn.Close() })
	return c
}
