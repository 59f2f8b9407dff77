package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/deposit"
)

// user is who made a request, and what they may do.
type user struct {
	Name     string
	Operator bool
	Bearer   bool // authenticated by a bearer token: no browser sends one by itself
}

type userKey struct{}

func withUser(ctx context.Context, u user) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

func userOf(ctx context.Context) user {
	u, _ := ctx.Value(userKey{}).(user)
	return u
}

// authenticator checks credentials against the configured users' tokens, and makes and
// checks the CSRF tokens of the forms.
type authenticator struct {
	users   []credential // empty: no authentication (a loopback address)
	csrfKey []byte       // random per start: a form from before a restart is refused
}

type credential struct {
	name     string
	operator bool
	token    []byte
}

func newAuthenticator(users []config.HTTPUser, getenv func(string) string) (*authenticator, error) {
	a := &authenticator{csrfKey: make([]byte, 32)}
	if _, err := rand.Read(a.csrfKey); err != nil {
		return nil, err
	}
	var errs []error
	for _, u := range users {
		tok, err := deposit.Secret(getenv, "http user "+u.User, u.TokenEnv)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(tok) < 16 {
			errs = append(errs, errors.New("http user "+u.User+": the token in "+u.TokenEnv+" is shorter than 16 characters: use a long random one (openssl rand -hex 32)"))
			continue
		}
		a.users = append(a.users, credential{name: u.User, operator: u.Role == config.RoleOperator, token: []byte(tok)})
	}
	return a, errors.Join(errs...)
}

var errUnauthenticated = errors.New("authentication required: a bearer token (Authorization: Bearer …) or basic auth with a configured user and its token")

// authenticate returns who sent r. Without configured users everyone is a local operator
// (the address is a loopback one: configuration refuses otherwise).
func (a *authenticator) authenticate(r *http.Request) (user, error) {
	if len(a.users) == 0 {
		return user{Name: "local", Operator: true}, nil
	}
	h := r.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
		for _, c := range a.users {
			if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), c.token) == 1 {
				return user{Name: c.name, Operator: c.operator, Bearer: true}, nil
			}
		}
		return user{}, errors.New("the bearer token matches no configured user")
	}
	if name, pass, ok := r.BasicAuth(); ok {
		for _, c := range a.users {
			// Both compared whatever the name, so that timing tells nothing.
			okName := subtle.ConstantTimeCompare([]byte(name), []byte(c.name)) == 1
			okPass := subtle.ConstantTimeCompare([]byte(pass), c.token) == 1
			if okName && okPass {
				return user{Name: c.name, Operator: c.operator}, nil
			}
		}
		return user{}, errors.New("wrong user or token")
	}
	return user{}, errUnauthenticated
}

// csrfToken is the token the forms of u carry: tied to the user and to this start.
func (a *authenticator) csrfToken(u user) string {
	m := hmac.New(sha256.New, a.csrfKey)
	m.Write([]byte("csrf\x00" + u.Name))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (a *authenticator) checkCSRF(u user, token string) bool {
	return token != "" && hmac.Equal([]byte(token), []byte(a.csrfToken(u)))
}
