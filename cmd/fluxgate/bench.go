package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fluxgate/fluxgate/gateway/ack"
	"github.com/fluxgate/fluxgate/internal/exportgen"
)

// benchOptions is one bench: the exports to generate and how to run the gateway on them.
type benchOptions struct {
	format       string
	files        int
	invoices     int // per file
	lines        int // per invoice
	outputs      []string
	modes        []string // once, daemon
	latencyFiles int
	quiet        time.Duration
	fsyncs       bool
	mappings     string
	dir          string
	keep         bool
	asJSON       bool
	timeout      time.Duration
	gateway      string // the fluxgate binary measured: another build, to compare
	// command runs the gateway with args (tests: the test binary); nil runs this binary.
	command func(ctx context.Context, args ...string) *exec.Cmd
}

// benchResult is what a bench measured, as --json prints it. Zero fields were not measured.
type benchResult struct {
	Command  string `json:"command"`
	Format   string `json:"format"`
	Files    int    `json:"files"`
	Invoices int    `json:"invoices"` // in all
	Lines    int    `json:"linesPerInvoice"`
	Outputs  string `json:"outputs"`
	Bytes    int64  `json:"bytes"`
	Cores    int    `json:"cores"`

	Once   *benchRun `json:"once,omitempty"`
	Daemon *benchRun `json:"daemon,omitempty"`
	// Fsyncs counts every fsync and fdatasync of a `run --once` on the same exports
	// (strace -f -c): the folders', the spool's and the journal's.
	Fsyncs           int64   `json:"fsyncs,omitempty"`
	FsyncsPerInvoice float64 `json:"fsyncsPerInvoice,omitempty"`
	FsyncsNote       string  `json:"fsyncsNote,omitempty"`
}

// benchRun is one run of the gateway on the whole set of exports.
type benchRun struct {
	Seconds       float64 `json:"seconds"`
	InvoicesPerS  float64 `json:"invoicesPerSecond"`
	FilesPerS     float64 `json:"filesPerSecond"`
	PeakRSSMB     float64 `json:"peakRssMB"`
	LatencyP50MS  float64 `json:"dropToAckP50ms,omitempty"` // daemon: one small file dropped, until its ack
	LatencyP99MS  float64 `json:"dropToAckP99ms,omitempty"`
	DepositP50MS  float64 `json:"dropToDepositP50ms,omitempty"` // until its fluxes are all in the outbox
	DepositP99MS  float64 `json:"dropToDepositP99ms,omitempty"`
	QuietMS       float64 `json:"quietMs,omitempty"`
	LatencySample int     `json:"latencyFiles,omitempty"`
	// The daemon's health under a flood (Linux, from /proc): the most file descriptors it
	// held at once, and its resident memory once a tenth of the files dropped at once were
	// deposited, then once all were: memory that grows with the files shows between the two.
	PeakOpenFDs int     `json:"peakOpenFds,omitempty"`
	RSSTenthMB  float64 `json:"rssAfterTenthMB,omitempty"`
	RSSEndMB    float64 `json:"rssAtEndMB,omitempty"`
}

func newBenchCmd() *cobra.Command {
	o := benchOptions{}
	var outputs, modes string
	cmd := &cobra.Command{
		Use:   "bench [--format csv|fixed|xml] [--files N] [--invoices N] [--lines N] [--json]",
		Short: "Measure the whole gateway on generated exports: invoices/s, latency, memory, fsyncs",
		Long: `Generate realistic exports (the layouts of the shipped examples: CSV, fixed-width or XML;
files × invoices per file × lines per invoice), run the whole gateway on them in a temporary
folder (local drop folder and folder destination), and print what it measured:

  once     fluxgate run --once on every file: invoices/s, files/s, peak RSS;
  daemon   fluxgate run: one small file dropped at a time, until its ack (p50, p99) and until
           its fluxes are deposited; then every file dropped at once: invoices/s, peak RSS;
  fsyncs   fsync, fdatasync and syncfs calls per invoice of the same run --once, counted with strace
           when it is installed (folders, spool and journal alike).

The gateway runs as a child process (this same binary), so the memory is the gateway's alone.
Exports are generated as they are written: a 1 GB export costs the bench no memory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.outputs = splitList(outputs)
			o.modes = splitList(modes)
			for _, m := range o.modes {
				if m != "once" && m != "daemon" {
					return exitError{2, fmt.Errorf("--mode %q: once, daemon or both (once,daemon)", m)}
				}
			}
			res, err := runBench(cmd.Context(), o, cmd.ErrOrStderr())
			if err != nil {
				return exitError{2, err}
			}
			if o.asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			printBench(cmd.OutOrStdout(), res)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "csv", "export layout: csv, fixed or xml")
	f.IntVar(&o.files, "files", 1, "number of export files")
	f.IntVar(&o.invoices, "invoices", 5000, "invoices per file")
	f.IntVar(&o.lines, "lines", 3, "lines per invoice")
	f.StringVar(&outputs, "outputs", "ubl,cii", "syntaxes written for each invoice")
	f.StringVar(&modes, "mode", "once,daemon", "what to run: once, daemon, or both")
	f.IntVar(&o.latencyFiles, "latency-files", 20, "daemon: small files dropped one at a time for the latency")
	f.DurationVar(&o.quiet, "quiet", 200*time.Millisecond, "daemon: the source's quiet period")
	f.BoolVar(&o.fsyncs, "fsyncs", true, "count fsyncs with strace (a second run --once, when strace is installed)")
	f.StringVar(&o.mappings, "mappings", "", "folder of the example mappings (default: examples/mappings of the source tree)")
	f.StringVar(&o.dir, "dir", "", "work in this folder instead of a temporary one")
	f.BoolVar(&o.keep, "keep", false, "keep the work folder")
	f.BoolVar(&o.asJSON, "json", false, "print the figures as JSON")
	f.DurationVar(&o.timeout, "timeout", time.Hour, "give up a run after this long")
	f.StringVar(&o.gateway, "gateway", "", "the fluxgate binary to measure (default: this one), to compare builds on the same exports")
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func runBench(ctx context.Context, o benchOptions, log io.Writer) (*benchResult, error) {
	if o.files < 1 || o.invoices < 1 {
		return nil, errors.New("--files and --invoices must be 1 or more")
	}
	if _, err := exportgen.NewReader(exportgen.Spec{Format: o.format, First: 1, Lines: o.lines}); err != nil {
		return nil, err
	}
	mappings, err := findMappings(o.mappings)
	if err != nil {
		return nil, err
	}
	exe := o.gateway
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	dir := o.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "fluxgate-bench-"); err != nil {
			return nil, err
		}
		if !o.keep {
			defer os.RemoveAll(dir)
		}
	}
	res := &benchResult{Command: "fluxgate bench " + strings.Join(os.Args[2:], " "), Format: o.format, Files: o.files,
		Invoices: o.files * o.invoices, Lines: o.lines, Outputs: strings.Join(o.outputs, ","), Cores: runtime.NumCPU()}
	b := &bench{o: o, mappings: mappings, log: log, command: func(ctx context.Context, args ...string) *exec.Cmd {
		return exec.CommandContext(ctx, exe, args...)
	}}
	if o.command != nil {
		b.command = o.command
	}
	if slices.Contains(o.modes, "once") {
		ws, err := b.workspace(filepath.Join(dir, "once"), time.Second)
		if err != nil {
			return nil, err
		}
		if res.Bytes, err = b.generate(ctx, ws, 0, o.files, o.invoices, true); err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "bench: run --once on %d files, %d invoices (%d MB)\n", o.files, res.Invoices, res.Bytes>>20)
		if res.Once, err = b.once(ctx, ws, nil); err != nil {
			return nil, err
		}
		b.done(ws)
	}
	if o.fsyncs && slices.Contains(o.modes, "once") {
		strace, err := exec.LookPath("strace")
		if err != nil {
			res.FsyncsNote = "strace is not installed: fsyncs not counted"
		} else {
			ws, err := b.workspace(filepath.Join(dir, "fsyncs"), time.Second)
			if err != nil {
				return nil, err
			}
			if _, err := b.generate(ctx, ws, 0, o.files, o.invoices, true); err != nil {
				return nil, err
			}
			fmt.Fprintf(log, "bench: counting fsyncs of the same run --once (strace)\n")
			n, err := b.countFsyncs(ctx, ws, strace)
			if err != nil {
				return nil, err
			}
			res.Fsyncs, res.FsyncsPerInvoice = n, float64(n)/float64(res.Invoices)
			b.done(ws)
		}
	}
	if slices.Contains(o.modes, "daemon") {
		ws, err := b.workspace(filepath.Join(dir, "daemon"), o.quiet)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(log, "bench: daemon, %d small files one at a time, then %d files at once\n", o.latencyFiles, o.files)
		if res.Daemon, err = b.daemon(ctx, ws); err != nil {
			return nil, err
		}
		b.done(ws)
	}
	return res, nil
}

// latencyPause is the wait before each file dropped for the latency, so that each is
// dropped into an idle gateway.
const latencyPause = 250 * time.Millisecond

// procPeriod is how often the daemon's open descriptors are counted.
const procPeriod = 10 * time.Millisecond

// bench runs the gateway binary on generated exports.
type bench struct {
	o        benchOptions
	command  func(ctx context.Context, args ...string) *exec.Cmd
	mappings string
	log      io.Writer
	out      *bufio.Writer // the exports' buffer, one for all files: 1 MB a file was 1 GB of garbage for 1,000
}

// benchSpace is one gateway's folders and configuration.
type benchSpace struct {
	root, inbox, acks, outbox, config string
}

func (b *bench) workspace(root string, quiet time.Duration) (*benchSpace, error) {
	ws := &benchSpace{root: root, inbox: filepath.Join(root, "inbox"), acks: filepath.Join(root, "ack"),
		outbox: filepath.Join(root, "outbox"), config: filepath.Join(root, "fluxgate.yaml")}
	for _, d := range []string{ws.inbox, ws.acks, ws.outbox} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, err
		}
	}
	cfg := fmt.Sprintf(`journal: {path: journal.db}
spool: spool
sources:
  - name: bench
    folder: {path: inbox}
    pattern: "*%s"
    ready: {quiet: %s}
    ack: {path: ack}
    mapping: %s
    outputs: [%s]
    destination: out
    limits: {max_file_size: 4GB, max_invoices: 100000000}
destinations:
  - name: out
    folder: {path: outbox}
    schedule: now
log: {level: error}
`, exportgen.Ext(b.o.format), quiet, filepath.Join(b.mappings, exportgen.Mapping(b.o.format)), strings.Join(b.o.outputs, ", "))
	return ws, os.WriteFile(ws.config, []byte(cfg), 0o600)
}

// generate writes files [from, from+n) of invoices invoices each into the inbox, aged past
// the quiet period when old, and returns how many bytes it wrote. Each file is written
// under a name outside the source's pattern, then renamed: the gateway never sees it half
// written.
func (b *bench) generate(ctx context.Context, ws *benchSpace, from, n, invoices int, old bool) (int64, error) {
	var total int64
	for i := from; i < from+n; i++ {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		name, size, err := b.writeExport(ws, i, 1+i*invoices, invoices)
		if err != nil {
			return total, err
		}
		total += size
		if old {
			t := time.Now().Add(-time.Hour)
			os.Chtimes(name, t, t)
		}
	}
	return total, nil
}

// writeExport writes export i of invoices invoices numbered from first.
func (b *bench) writeExport(ws *benchSpace, i, first, invoices int) (string, int64, error) {
	r, err := exportgen.NewReader(exportgen.Spec{Format: b.o.format, First: first, Invoices: invoices, Lines: b.o.lines})
	if err != nil {
		return "", 0, err
	}
	name := filepath.Join(ws.inbox, fmt.Sprintf("export-%06d%s", i, exportgen.Ext(b.o.format)))
	tmp := name + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return "", 0, err
	}
	if b.out == nil {
		b.out = bufio.NewWriterSize(f, 1<<20)
	}
	w := b.out
	w.Reset(f)
	size, err := io.Copy(w, r)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	return name, size, err
}

// child is the gateway binary run on ws with args.
func (b *bench) child(ctx context.Context, ws *benchSpace, args ...string) *exec.Cmd {
	cmd := b.command(ctx, args...)
	cmd.Dir = ws.root
	cmd.Stdout, cmd.Stderr = io.Discard, b.log
	lowerPeakRSS() // the child's peak is then its own (bench_peak_linux.go)
	return cmd
}

// once runs `run --once` on ws and checks that every invoice was deposited.
func (b *bench) once(ctx context.Context, ws *benchSpace, wrap []string) (*benchRun, error) {
	ctx, cancel := context.WithTimeout(ctx, b.o.timeout)
	defer cancel()
	cmd := b.child(ctx, ws, "run", "--once", "-c", ws.config)
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("run --once: %w", err)
	}
	elapsed := time.Since(start)
	if err := b.allDeposited(ws, b.o.files, b.o.invoices); err != nil {
		return nil, err
	}
	return &benchRun{Seconds: elapsed.Seconds(), InvoicesPerS: float64(b.o.files*b.o.invoices) / elapsed.Seconds(),
		FilesPerS: float64(b.o.files) / elapsed.Seconds(), PeakRSSMB: peakRSS(cmd.ProcessState)}, nil
}

// countFsyncs runs `run --once` on ws under strace and returns how many fsync, syncfs and
// fdatasync calls its threads made.
func (b *bench) countFsyncs(ctx context.Context, ws *benchSpace, strace string) (int64, error) {
	out := filepath.Join(ws.root, "strace.txt")
	cmd := b.child(ctx, ws, "run", "--once", "-c", ws.config)
	cmd.Args = append([]string{strace, "-f", "-qq", "-c", "-o", out, "-e", "trace=fsync,fdatasync,sync_file_range,syncfs", cmd.Path}, cmd.Args[1:]...)
	cmd.Path = strace
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("strace run --once: %w", err)
	}
	if err := b.allDeposited(ws, b.o.files, b.o.invoices); err != nil {
		return 0, err
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		// % time, seconds, usecs/call, calls, [errors,] syscall
		if len(f) >= 5 && (f[len(f)-1] == "fsync" || f[len(f)-1] == "fdatasync" || f[len(f)-1] == "sync_file_range" || f[len(f)-1] == "syncfs") {
			c, err := strconv.ParseInt(f[3], 10, 64)
			if err == nil {
				n += c
			}
		}
	}
	return n, nil
}

// daemon starts `run`, drops small files one at a time for the latency, then the whole
// set at once for the throughput, and stops it.
func (b *bench) daemon(ctx context.Context, ws *benchSpace) (*benchRun, error) {
	ctx, cancel := context.WithTimeout(ctx, b.o.timeout)
	defer cancel()
	cmd := b.child(ctx, ws, "run", "-c", ws.config)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = time.Minute
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	waited := false
	defer func() {
		if !waited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	sampling, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	proc := watchProc(sampling, cmd.Process.Pid, procPeriod)
	res := &benchRun{QuietMS: float64(b.o.quiet) / float64(time.Millisecond), LatencySample: b.o.latencyFiles}
	const small = 5 // invoices in each latency file
	// File and invoice numbers after the throughput set's: every invoice is new.
	base, firstInvoice := b.o.files, b.o.files*b.o.invoices+1
	var acked, deposited []time.Duration
	for k := range b.o.latencyFiles + 1 { // the first only shows the daemon serves
		i := base + k
		// One file dropped into an idle gateway: the previous one's deposit is done, and its
		// folder events are past the watcher's coalescing of bursts.
		time.Sleep(latencyPause)
		name, _, err := b.writeExport(ws, i, firstInvoice+k*small, small)
		if err != nil {
			return nil, err
		}
		start := time.Now() // dropped: complete under its name
		ackAt, depAt, err := b.waitFile(ctx, ws, name, (k+1)*small*len(b.o.outputs))
		if err != nil {
			return nil, err
		}
		if k > 0 {
			acked, deposited = append(acked, ackAt.Sub(start)), append(deposited, depAt.Sub(start))
		}
	}
	res.LatencyP50MS, res.LatencyP99MS = percentile(acked, 50), percentile(acked, 99)
	res.DepositP50MS, res.DepositP99MS = percentile(deposited, 50), percentile(deposited, 99)

	// Throughput: the whole set, written aside then moved in at once.
	stage := filepath.Join(ws.root, "stage")
	os.MkdirAll(stage, 0o750)
	sw := *ws
	sw.inbox = stage
	if _, err := b.generate(ctx, &sw, 0, b.o.files, b.o.invoices, false); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(stage)
	if err != nil {
		return nil, err
	}
	before := countEntries(ws.outbox)
	start := time.Now()
	for _, e := range entries {
		if err := os.Rename(filepath.Join(stage, e.Name()), filepath.Join(ws.inbox, e.Name())); err != nil {
			return nil, err
		}
	}
	want := before + b.o.files*b.o.invoices*len(b.o.outputs)
	tenth := before + (want-before+9)/10
	for n := countEntries(ws.outbox); n < want; n = countEntries(ws.outbox) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("daemon: %d of %d fluxes deposited: %w", n-before, want-before, err)
		}
		if cmd.ProcessState != nil {
			return nil, errors.New("daemon stopped by itself")
		}
		if n >= tenth && res.RSSTenthMB == 0 {
			res.RSSTenthMB = proc.RSSMB()
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	res.RSSEndMB = proc.RSSMB()
	if res.RSSTenthMB == 0 {
		res.RSSTenthMB = res.RSSEndMB // all deposited before the first look
	}
	stopSampling()
	res.PeakOpenFDs = proc.PeakFDs()
	res.Seconds = elapsed.Seconds()
	res.InvoicesPerS = float64(b.o.files*b.o.invoices) / elapsed.Seconds()
	res.FilesPerS = float64(b.o.files) / elapsed.Seconds()
	cmd.Process.Signal(syscall.SIGTERM)
	waited = true
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("daemon stop: %w", err)
	}
	res.PeakRSSMB = peakRSS(cmd.ProcessState)
	return res, nil
}

// waitFile waits for the ack of the export at name, then for fluxes fluxes in the outbox.
func (b *bench) waitFile(ctx context.Context, ws *benchSpace, name string, fluxes int) (ackAt, depAt time.Time, err error) {
	ackName := filepath.Join(ws.acks, ack.Name(filepath.Base(name)))
	for {
		if _, err := os.Stat(ackName); err == nil {
			ackAt = time.Now()
			break
		}
		if err := ctx.Err(); err != nil {
			return ackAt, depAt, fmt.Errorf("no ack for %s: %w", filepath.Base(name), err)
		}
		time.Sleep(500 * time.Microsecond)
	}
	for countEntries(ws.outbox) < fluxes {
		if err := ctx.Err(); err != nil {
			return ackAt, depAt, fmt.Errorf("%s not deposited: %w", filepath.Base(name), err)
		}
		time.Sleep(500 * time.Microsecond)
	}
	return ackAt, time.Now(), nil
}

// allDeposited checks that the run left an ack per file and every flux in the outbox.
func (b *bench) allDeposited(ws *benchSpace, files, invoices int) error {
	if n := countEntries(ws.acks); n != files {
		return fmt.Errorf("%d acks for %d files: see %s", n, files, ws.acks)
	}
	if n, want := countEntries(ws.outbox), files*invoices*len(b.o.outputs); n != want {
		return fmt.Errorf("%d fluxes deposited, %d expected: see %s", n, want, ws.acks)
	}
	return nil
}

// countEntries counts the visible files of dir (not the temporary ".name" ones).
func countEntries(dir string) int {
	f, err := os.Open(dir)
	if err != nil {
		return 0
	}
	defer f.Close()
	names, _ := f.Readdirnames(-1)
	n := 0
	for _, name := range names {
		if !strings.HasPrefix(name, ".") {
			n++
		}
	}
	return n
}

// percentile is the p-th percentile of ds in milliseconds (nearest rank).
func percentile(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	i = min(max(i-1, 0), len(s)-1)
	return float64(s[i]) / float64(time.Millisecond)
}

// findMappings returns the folder of the example mappings: dir when given, else
// examples/mappings in the working folder or one of its parents (a source tree).
func findMappings(dir string) (string, error) {
	if dir != "" {
		return filepath.Abs(dir)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "examples", "mappings")
		if _, err := os.Stat(filepath.Join(p, exportgen.Mapping("csv"))); err == nil {
			return p, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("examples/mappings not found: run the bench in the source tree, or give --mappings")
		}
	}
}

func printBench(w io.Writer, r *benchResult) {
	fmt.Fprintf(w, "%s\n", r.Command)
	fmt.Fprintf(w, "exports: %d %s file(s) × %d invoices × %d lines = %d invoices, %.1f MB; outputs %s; %d cores\n",
		r.Files, r.Format, r.Invoices/max(r.Files, 1), r.Lines, r.Invoices, float64(r.Bytes)/(1<<20), r.Outputs, r.Cores)
	if o := r.Once; o != nil {
		fmt.Fprintf(w, "run --once: %.2f s, %.0f invoices/s, %.1f files/s, peak RSS %.0f MB\n", o.Seconds, o.InvoicesPerS, o.FilesPerS, o.PeakRSSMB)
	}
	switch {
	case r.Fsyncs > 0:
		fmt.Fprintf(w, "fsyncs: %d, %.2f per invoice\n", r.Fsyncs, r.FsyncsPerInvoice)
	case r.FsyncsNote != "":
		fmt.Fprintf(w, "fsyncs: %s\n", r.FsyncsNote)
	}
	if d := r.Daemon; d != nil {
		fmt.Fprintf(w, "daemon: drop to ack p50 %.0f ms, p99 %.0f ms; to deposit p50 %.0f ms, p99 %.0f ms (quiet period %.0f ms, %d files)\n",
			d.LatencyP50MS, d.LatencyP99MS, d.DepositP50MS, d.DepositP99MS, d.QuietMS, d.LatencySample)
		fmt.Fprintf(w, "daemon: all files at once: %.2f s, %.0f invoices/s, %.1f files/s, peak RSS %.0f MB\n", d.Seconds, d.InvoicesPerS, d.FilesPerS, d.PeakRSSMB)
		if d.PeakOpenFDs > 0 {
			fmt.Fprintf(w, "daemon: at most %d open file descriptors; resident memory %.0f MB after the first %d files, %.0f MB after all %d\n",
				d.PeakOpenFDs, d.RSSTenthMB, (r.Files+9)/10, d.RSSEndMB, r.Files)
		}
	}
}

// done removes the folders of a finished run, unless asked to keep them.
func (b *bench) done(ws *benchSpace) {
	if !b.o.keep {
		os.RemoveAll(ws.root)
	}
}
