//go:build !windows

package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// errNotWindows is the one sentence every service command says off Windows.
var errNotWindows = errors.New("fluxgate service manages a Windows service and works only on Windows; on Linux use the systemd unit deploy/systemd/fluxgate.service (see docs/install.md)")

func serviceInstall(*cobra.Command, serviceOptions) error   { return exitError{2, errNotWindows} }
func serviceUninstall(*cobra.Command, serviceOptions) error { return exitError{2, errNotWindows} }
func serviceStart(*cobra.Command, serviceOptions) error     { return exitError{2, errNotWindows} }
func serviceStop(*cobra.Command, serviceOptions) error      { return exitError{2, errNotWindows} }
func serviceStatus(*cobra.Command, serviceOptions) error    { return exitError{2, errNotWindows} }
func serviceRun(*cobra.Command, serviceOptions) error       { return exitError{2, errNotWindows} }
