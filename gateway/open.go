package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/fluxgate/fluxgate/gateway/config"
	"github.com/fluxgate/fluxgate/gateway/deposit"
	"github.com/fluxgate/fluxgate/gateway/folder"
)

// openDestination opens what dc deposits to: a folder, the Chorus Pro API, an approved
// platform's API, or a folder of a Chorus Pro EDI connection.
func openDestination(ctx context.Context, cfg *config.Config, dc config.DestinationConfig, log *slog.Logger) (deposit.Destination, error) {
	switch {
	case dc.ChorusEDI != nil:
		return openChorusEDI(ctx, cfg, dc, log.With("destination", dc.Name))
	case dc.Chorus != nil:
		return deposit.NewChorus(dc.Chorus.DepositConfig(dc.Name), &http.Client{Timeout: config.HTTPTimeout(dc.Chorus.Timeout)}, log.With("destination", dc.Name))
	case dc.PA != nil:
		return deposit.NewPA(dc.PA.DepositConfig(dc.Name), &http.Client{Timeout: config.HTTPTimeout(dc.PA.Timeout)}, log.With("destination", dc.Name))
	}
	log = log.With("destination", dc.Name)
	out, err := openFolder(ctx, cfg, dc.Folder, log)
	if err != nil {
		return nil, err
	}
	dest := deposit.NewFolder(dc.Name, out)
	dest.SetLogger(log)
	return dest, nil
}

// openLocal opens a local folder, creating it when it does not exist yet: a newcomer's
// ./var tree appears on the first run.
func openLocal(dir string) (folder.Folder, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	return folder.OpenLocal(dir)
}

// OpenFolder opens the folder fc of cfg: a local directory (created when missing, as a
// newcomer's ./var tree is on the first run) or a directory on an SFTP server (connected,
// its host key verified, created when missing).
func OpenFolder(ctx context.Context, cfg *config.Config, fc config.FolderConfig) (folder.Folder, error) {
	if fc.SFTP == nil {
		return openLocal(cfg.Path(fc.Path))
	}
	opts, err := sftpOptions(cfg, fc.SFTP)
	if err != nil {
		return nil, err
	}
	return folder.OpenSFTP(ctx, opts)
}

// openFolder opens a folder of the daemon as OpenFolder does, with two differences: a
// server that cannot be reached or refuses the connection does not stop the gateway (the
// folder keeps trying, so that `status` still shows the journal and the daemon starts
// before its servers), and each folder logs to log: a local one when it is re-opened at its
// configured path, an SFTP one its connection's life.
func openFolder(ctx context.Context, cfg *config.Config, fc config.FolderConfig, log *slog.Logger) (folder.Folder, error) {
	if fc.SFTP == nil {
		dir := cfg.Path(fc.Path)
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, err
		}
		f, err := folder.OpenLocal(dir)
		if err != nil {
			return nil, err
		}
		f.SetLogger(log)
		return f, nil
	}
	opts, err := sftpOptions(cfg, fc.SFTP)
	if err != nil {
		return nil, err
	}
	opts.KeepTrying, opts.Logger = true, log
	f, err := folder.OpenSFTP(ctx, opts)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// makeWorkDirs makes the work folders of a source folder (again, after it was re-opened).
func makeWorkDirs(ctx context.Context, in folder.Folder) error {
	for _, dir := range []string{processingDir, archiveDir, errorDir} {
		if err := in.MkdirAll(ctx, dir); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	return nil
}

// connError returns why f, a folder on a server, is not connected (nil when it is, or when
// f is local).
func connError(f folder.Folder) error {
	if c, ok := f.(interface{ ConnError() error }); ok {
		return c.ConnError()
	}
	return nil
}

func sftpOptions(cfg *config.Config, s *config.SFTPConfig) (folder.SFTPOptions, error) {
	opts := folder.SFTPOptions{
		Host: s.Host, Port: s.Port, User: s.User, Path: s.Path,
		KeyFile: cfg.Path(s.KeyFile), KnownHosts: cfg.Path(s.KnownHosts), HostKey: s.HostKey,
		ConnectTimeout: time.Duration(s.ConnectTimeout), IOTimeout: time.Duration(s.IOTimeout),
		Keepalive: time.Duration(s.Keepalive), MaxBackoff: time.Duration(s.MaxBackoff),
		Create: true,
	}
	secret := func(key, env string) (string, error) {
		if env == "" {
			return "", nil
		}
		return deposit.Secret(nil, "sftp "+s.Host+" "+key, env)
	}
	var err error
	if opts.KeyPassphrase, err = secret("key_passphrase_env", s.KeyPassphraseEnv); err != nil {
		return opts, err
	}
	if opts.Password, err = secret("password_env", s.PasswordEnv); err != nil {
		return opts, err
	}
	return opts, nil
}

// openChorusEDI opens the deposit folder and the returns folder of a Chorus Pro EDI
// destination.
func openChorusEDI(ctx context.Context, cfg *config.Config, dc config.DestinationConfig, log *slog.Logger) (deposit.Destination, error) {
	out, err := openFolder(ctx, cfg, dc.Folder, log)
	if err != nil {
		return nil, err
	}
	returns, err := openFolder(ctx, cfg, dc.ChorusEDI.Returns, log.With("folder_role", "returns"))
	if err != nil {
		out.Close()
		return nil, fmt.Errorf("chorus_edi returns folder: %w", err)
	}
	return deposit.NewChorusEDI(deposit.ChorusEDIConfig{Name: dc.Name, Partner: dc.ChorusEDI.Partner, Lifecycle: dc.ChorusEDI.Lifecycle},
		out, returns, log), nil
}
