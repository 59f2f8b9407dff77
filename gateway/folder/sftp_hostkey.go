package folder

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyError is returned when an SFTP server offers a host key that is not trusted: unknown
// (not in known_hosts, or not the pinned key) or changed (a different key is known for the
// host, which may be an attack). Fix says, in a sentence, how to trust the key after checking
// it with the server's administrator.
type HostKeyError struct {
	Addr        string // host:port
	Changed     bool   // a different key is known for this host
	Fingerprint string // SHA256 fingerprint of the offered key
	KeyType     string // ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, …
	Known       string // where the known key is ("known_hosts:12", "host_key"), when Changed
	Fix         string
}

func (e *HostKeyError) Error() string {
	if e.Changed {
		return fmt.Sprintf("host key of %s has CHANGED: the server offers %s %s, which does not match %s; this can be an attack (someone between Fluxgate and the server) or a reinstalled server. %s",
			e.Addr, e.KeyType, e.Fingerprint, e.Known, e.Fix)
	}
	return fmt.Sprintf("host key of %s is unknown: the server offers %s %s. %s", e.Addr, e.KeyType, e.Fingerprint, e.Fix)
}

// hostKeyCheck builds the host key callback for opts (always verifying) and the host key
// algorithms to ask for, so that a server with several keys offers the one we know.
func hostKeyCheck(opts *SFTPOptions, addr string) (ssh.HostKeyCallback, []string, error) {
	switch {
	case opts.HostKey != "" && opts.KnownHosts != "":
		return nil, nil, errors.New("set one of known_hosts and host_key, not both")
	case opts.HostKey != "":
		return pinnedHostKey(opts.HostKey, addr)
	case opts.KnownHosts != "":
		return knownHostsCheck(opts.KnownHosts, addr)
	}
	return nil, nil, errors.New("the server's host key is always verified: set known_hosts (a known_hosts file) or host_key (the server's public key, \"ssh-ed25519 AAAA…\", or its \"SHA256:…\" fingerprint)")
}

func pinnedHostKey(pin, addr string) (ssh.HostKeyCallback, []string, error) {
	pin = strings.TrimSpace(pin)
	if strings.HasPrefix(pin, "SHA256:") {
		return func(_ string, _ net.Addr, key ssh.PublicKey) error {
			if ssh.FingerprintSHA256(key) == pin {
				return nil
			}
			return pinMismatch(addr, key, "the pinned host_key "+pin)
		}, nil, nil
	}
	want, err := parsePublicKey(pin)
	if err != nil {
		return nil, nil, fmt.Errorf("host_key %q: %w (write the server's public key as \"ssh-ed25519 AAAA…\", e.g. a line of ssh-keyscan's output, or its \"SHA256:…\" fingerprint)", pin, err)
	}
	return func(_ string, _ net.Addr, key ssh.PublicKey) error {
		if bytes.Equal(key.Marshal(), want.Marshal()) {
			return nil
		}
		return pinMismatch(addr, key, "the pinned host_key "+ssh.FingerprintSHA256(want))
	}, algorithmsFor(want.Type()), nil
}

// parsePublicKey reads "ssh-ed25519 AAAA… [comment]", or a known_hosts line
// ("host ssh-ed25519 AAAA…", as ssh-keyscan prints).
func parsePublicKey(s string) (ssh.PublicKey, error) {
	if key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s)); err == nil {
		return key, nil
	}
	_, _, key, _, _, err := ssh.ParseKnownHosts([]byte(s))
	if err != nil {
		return nil, errors.New("not a public key")
	}
	return key, nil
}

func pinMismatch(addr string, key ssh.PublicKey, known string) error {
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
	return &HostKeyError{
		Addr: addr, Changed: true, Fingerprint: ssh.FingerprintSHA256(key), KeyType: key.Type(), Known: known,
		Fix: fmt.Sprintf("Only once the server's administrator confirms this fingerprint, set host_key: %q.", line),
	}
}

func knownHostsCheck(file, addr string) (ssh.HostKeyCallback, []string, error) {
	if _, err := os.Stat(file); err != nil {
		return nil, nil, fmt.Errorf("known_hosts %s: %w (create it: run `ssh-keyscan -p %s %s > %s`, then check the fingerprints it holds with the server's administrator: `ssh-keygen -lf %s`)",
			file, err, portOf(addr), hostOf(addr), file, file)
	}
	cb, err := knownhosts.New(file)
	if err != nil {
		return nil, nil, fmt.Errorf("known_hosts %s: %w", file, err)
	}
	check := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := cb(hostname, remote, key)
		if err == nil {
			return nil
		}
		line := knownhosts.Line([]string{addr}, key)
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case errors.As(err, &re):
			return &HostKeyError{Addr: addr, Changed: true, Fingerprint: ssh.FingerprintSHA256(key), KeyType: key.Type(),
				Known: fmt.Sprintf("%s:%d", re.Revoked.Filename, re.Revoked.Line),
				Fix:   "This key is marked @revoked there: the server must get a new host key."}
		case errors.As(err, &ke) && len(ke.Want) == 0:
			return &HostKeyError{Addr: addr, Fingerprint: ssh.FingerprintSHA256(key), KeyType: key.Type(),
				Fix: fmt.Sprintf("If the server's administrator confirms this fingerprint (on the server: `ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub`), add this line to %s: %s", file, line)}
		case errors.As(err, &ke):
			var where []string
			for _, w := range ke.Want {
				where = append(where, fmt.Sprintf("%s %s at %s:%d", w.Key.Type(), ssh.FingerprintSHA256(w.Key), w.Filename, w.Line))
			}
			return &HostKeyError{Addr: addr, Changed: true, Fingerprint: ssh.FingerprintSHA256(key), KeyType: key.Type(),
				Known: "the known key " + strings.Join(where, ", "),
				Fix:   fmt.Sprintf("Only once the server's administrator confirms the new fingerprint, replace the old line in %s with: %s", file, line)}
		}
		return err
	}
	// Ask for the key types known for this host, so that a server holding several keys
	// offers one we can check rather than one we have never seen.
	var algos []string
	if probe, err := probeKey(); err == nil {
		var ke *knownhosts.KeyError
		if errors.As(cb(addr, &net.TCPAddr{}, probe), &ke) {
			seen := map[string]bool{}
			for _, w := range ke.Want {
				for _, a := range algorithmsFor(w.Key.Type()) {
					if !seen[a] {
						seen[a] = true
						algos = append(algos, a)
					}
				}
			}
		}
	}
	return check, algos, nil
}

// probeKey is a throwaway key that no known_hosts file holds.
func probeKey() (ssh.PublicKey, error) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return ssh.NewPublicKey(pub)
}

// algorithmsFor lists the host key algorithms that yield a key of type keyType.
func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}

func hostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}

func portOf(addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "22"
	}
	return p
}
