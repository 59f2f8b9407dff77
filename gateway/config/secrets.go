package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/fluxgate/fluxgate/gateway/deposit"
)

// Secrets never live in the configuration: each `*_env` key names the environment variable
// that holds one (or, when it is unset, <VARIABLE>_FILE names a file that does). This file
// finds those keys, resolves them for `fluxgate config check`, and turns the YAML decoder's
// errors into sentences without Go type names: a secret written in plain YAML is told to
// use its `_env` key.

// SecretRef is one secret the configuration names.
type SecretRef struct {
	Key string // where, as a path: destinations[0] (chorus).chorus.client_secret_env
	Env string // the environment variable that holds it
}

// Secrets lists every `*_env` key set in the configuration, in the file's order.
func (c *Config) Secrets() []SecretRef {
	var out []SecretRef
	walkSecrets(reflect.ValueOf(c).Elem(), "", &out)
	return out
}

func walkSecrets(v reflect.Value, where string, out *[]SecretRef) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkSecrets(v.Elem(), where, out)
		}
	case reflect.Slice:
		for i := range v.Len() {
			item := fmt.Sprintf("%s[%d]", where, i)
			if e := reflect.Indirect(v.Index(i)); e.Kind() == reflect.Struct {
				if name := e.FieldByName("Name"); name.IsValid() && name.Kind() == reflect.String && name.String() != "" {
					item += " (" + name.String() + ")"
				}
			}
			walkSecrets(v.Index(i), item, out)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			key, inline := yamlKey(f)
			if key == "-" || !f.IsExported() {
				continue
			}
			path := where
			if !inline {
				path = strings.TrimPrefix(where+"."+key, ".")
			}
			fv := v.Field(i)
			if strings.HasSuffix(key, "_env") && fv.Kind() == reflect.String {
				if fv.String() != "" {
					*out = append(*out, SecretRef{Key: path, Env: fv.String()})
				}
				continue
			}
			walkSecrets(fv, path, out)
		}
	}
}

// yamlKey is the key a struct field is read from, and whether it is inlined.
func yamlKey(f reflect.StructField) (string, bool) {
	tag := f.Tag.Get("yaml")
	name, opts, _ := strings.Cut(tag, ",")
	if slices.Contains(strings.Split(opts, ","), "inline") {
		return "", true
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, false
}

// envName is what an environment variable's name looks like.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkSecretNames checks that every `*_env` key holds the name of a variable. What it holds
// otherwise is never repeated: it may be the secret itself.
func (c *Config) checkSecretNames() []error {
	var errs []error
	for _, s := range c.Secrets() {
		if !envName.MatchString(s.Env) {
			errs = append(errs, fmt.Errorf("%s must name an environment variable (letters, digits and _); what it holds is not a name (if it is the secret itself, remove it from this file and put it in the environment)", s.Key))
		}
	}
	return errs
}

// CheckSecrets resolves every secret the configuration names, as the gateway will when it
// starts (getenv is os.Getenv when nil), and returns an error that names each one missing:
// its key and its variable, never a value.
func (c *Config) CheckSecrets(getenv func(string) string) error {
	var errs []error
	for _, s := range c.Secrets() {
		if _, err := deposit.Secret(getenv, s.Key, s.Env); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

var (
	unknownFieldRe = regexp.MustCompile(`field (\S+) not found in type (\S+)`)
	unmarshalRe    = regexp.MustCompile("cannot unmarshal !!(\\w+)(?: `[^`]*`)? into (\\S+)")
)

// explainYAML rewrites the decoder's messages for people who never saw Go: an unknown key
// is followed by the keys allowed there instead of a Go type name, a secret written in plain YAML is told to use its
// `_env` key, and a value of the wrong kind says what the key takes (without repeating the
// value, which may be a secret).
func explainYAML(msg string) string {
	msg = unknownFieldRe.ReplaceAllStringFunc(msg, func(m string) string {
		sub := unknownFieldRe.FindStringSubmatch(m)
		field, keys := sub[1], configKeys()[sub[2]]
		if slices.Contains(keys, field+"_env") {
			return fmt.Sprintf("%s: secrets are not written in the configuration: use %s_env, the name of an environment variable that holds it (or whose _FILE variant names a file that does)", field, field)
		}
		if len(keys) == 0 {
			return fmt.Sprintf("field %s not found", field)
		}
		return fmt.Sprintf("field %s not found (the keys here are: %s)", field, strings.Join(keys, ", "))
	})
	return unmarshalRe.ReplaceAllStringFunc(msg, func(m string) string {
		sub := unmarshalRe.FindStringSubmatch(m)
		return fmt.Sprintf("this key takes %s, not %s", goKind(sub[2]), yamlKind(sub[1]))
	})
}

// configKeys maps the Go name of each configuration type ("config.ChorusConfig") to the
// keys it reads.
func configKeys() map[string][]string {
	out := map[string][]string{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || out[t.String()] != nil {
			return
		}
		out[t.String()] = []string{}
		var keys []string
		var fields func(t reflect.Type)
		fields = func(t reflect.Type) {
			for i := range t.NumField() {
				f := t.Field(i)
				key, inline := yamlKey(f)
				switch {
				case inline:
					fields(f.Type)
				case key != "-" && f.IsExported():
					keys = append(keys, key)
					walk(f.Type)
				}
			}
		}
		fields(t)
		out[t.String()] = keys
	}
	walk(reflect.TypeFor[Config]())
	return out
}

func goKind(t string) string {
	switch {
	case t == "string":
		return "a text"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "a whole number"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	}
	return "a block of keys (key: value)"
}

func yamlKind(tag string) string {
	switch tag {
	case "str":
		return "a text"
	case "int", "float":
		return "a number"
	case "bool":
		return "true or false"
	case "seq":
		return "a list"
	case "map":
		return "a block of keys"
	}
	return "a " + tag
}
