package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// addLangFlag gives every command one --lang: the language of the messages an accountant
// reads (map, test-mapping, check, status), French by default as the acks are.
func addLangFlag(root *cobra.Command) {
	root.PersistentFlags().String("lang", "fr", "language of the messages: fr or en")
}

// langOf is the --lang the command was given (its own flag, or the root's).
func langOf(cmd *cobra.Command) (string, error) {
	f := cmd.Flag("lang")
	if f == nil {
		return "fr", nil
	}
	switch v := f.Value.String(); v {
	case "fr", "en":
		return v, nil
	default:
		return "", exitError{2, fmt.Errorf("--lang %q: write fr or en", v)}
	}
}

// inLang picks the message in lang, or the other one when that one is empty.
func inLang(lang, fr, en string) string {
	if (lang == "en" && en != "") || fr == "" {
		return en
	}
	return fr
}
