package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at build time by the Makefile's release target:
//
//	-ldflags "-X main.version=1.2.0 -X main.commit=abc123 -X main.date=2026-12-01T10:00:00Z"
var (
	version = "dev"
	commit  = ""
	date    = ""
)

// buildInfo is what `fluxgate version` prints. A binary built without the release
// target's -ldflags falls back on what the Go toolchain recorded (go install, go build
// with VCS stamping), so a support request can still name the exact source.
type buildInfo struct {
	Version, Commit, Date, Go, Platform string
}

func currentBuild() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Date: date, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && b.Commit == "":
				b.Commit = s.Value
			case s.Key == "vcs.time" && b.Date == "":
				b.Date = s.Value
			}
		}
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	if b.Date == "" {
		b.Date = "unknown"
	}
	return b
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := currentBuild()
			fmt.Fprintf(cmd.OutOrStdout(), "fluxgate %s\ncommit:   %s\nbuilt:    %s\ngo:       %s %s\n", b.Version, b.Commit, b.Date, b.Go, b.Platform)
			return nil
		},
	}
}
