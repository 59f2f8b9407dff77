package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// newHealthcheckCmd is the container image's health probe: its base has no curl or wget,
// so fluxgate asks its own HTTP server.
func newHealthcheckCmd() *cobra.Command {
	var url string
	var timeout time.Duration
	var insecure bool
	cmd := &cobra.Command{
		Use:   "healthcheck [--url URL]",
		Short: "Ask a running fluxgate's HTTP server whether it is healthy (a container's health probe)",
		Long: `Ask the HTTP server of a running fluxgate (http: in its configuration) for URL, by default
its /healthz on the default address. Exit status: 0 healthy (200), 1 not (no answer, or
another status). The container image's HEALTHCHECK runs it; it applies only when the
configuration turns the HTTP server on.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return exitError{2, fmt.Errorf("--url %q: %w", url, err)}
			}
			client := &http.Client{}
			if insecure {
				// A probe of our own server on the loopback, whose certificate may name
				// another host: whether it is healthy is all that is asked.
				client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
			}
			resp, err := client.Do(req)
			if err != nil {
				return exitError{1, fmt.Errorf("%s does not answer (is the HTTP server on, http: in the configuration?): %w", url, err)}
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			if resp.StatusCode != http.StatusOK {
				return exitError{1, fmt.Errorf("%s answered %s: %s", url, resp.Status, strings.TrimSpace(string(body)))}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", url, strings.TrimSpace(string(body)))
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "http://127.0.0.1:8470/healthz", "the URL to ask")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the answer")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "accept any TLS certificate (an https URL on the loopback)")
	return cmd
}
