package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/oparl"
	"github.com/ratsmappe/ratsmappe/sessions/oparlimport"
)

// runImport is `ratsmappe import oparl [flags] URL`: import a council's
// data from another council information system's OParl endpoint.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "oparl" {
		fmt.Fprintln(stderr, "usage: ratsmappe import oparl [--data DIR] [--concurrency N] [--since TIME | --full] [--allow-host HOST] [--deadline D] [--json] SYSTEM-URL")
		return errUsage
	}
	var cfg Config
	fs := flag.NewFlagSet("import oparl", flag.ContinueOnError)
	cfg.register(fs, "warn")
	concurrency := fs.Int("concurrency", envInt("RATSMAPPE_IMPORT_CONCURRENCY", 4), "requests at a time against the source (be polite)")
	since := fs.String("since", "", "import only what changed since TIME (RFC 3339 or YYYY-MM-DD); default: since the last completed import")
	full := fs.Bool("full", false, "fetch everything, not only what changed since the last import")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	allow := hostList{hosts: splitHosts(envString("RATSMAPPE_IMPORT_ALLOW_HOSTS", ""))}
	fs.Var(&allow, "allow-host", "also fetch from HOST, HOST:PORT or http(s)://HOST[:PORT] (repeatable, comma-separated); default: only the System URL's scheme, host and port")
	deadline := fs.Duration("deadline", envDuration("RATSMAPPE_IMPORT_DEADLINE", oparlimport.DefaultDeadline), "stop the run after this long (the next call continues it)")
	if err := parse(fs, args[1:], stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: ratsmappe import oparl [flags] SYSTEM-URL")
		return errUsage
	}
	var sinceT time.Time
	if *since != "" {
		if *full {
			return ratsmappe.Errorf(ratsmappe.EINVALID, "--since und --full schließen sich aus.")
		}
		if sinceT = oparl.ParseTime(*since); sinceT.IsZero() {
			return ratsmappe.Errorf(ratsmappe.EINVALID, "--since %q ist keine Zeitangabe (RFC 3339 oder JJJJ-MM-TT).", *since)
		}
	}
	app, err := openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel), nil)
	if err != nil {
		return err
	}
	defer app.Close()
	res, err := oparlimport.Run(ctx, oparlimport.Config{
		Sessions:    app.Sessions,
		Documents:   app.Docs,
		Concurrency: *concurrency,
		Since:       sinceT,
		Full:        *full,
		AllowHosts:  allow.hosts,
		Deadline:    *deadline,
		TempDir:     filepath.Join(cfg.Data, "tmp"),
		MaxFileSize: cfg.PDFMaxMB * 1000 * 1000,
		Progress:    stderr,
		Logger:      app.Log,
	}, fs.Arg(0))
	if *asJSON && res != nil {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(importJSON(res, err)); jerr != nil && err == nil {
			err = jerr
		}
	} else if res != nil {
		fmt.Fprintln(stdout, res.Summary())
		for _, r := range res.Rejected {
			fmt.Fprintf(stdout, "abgelehnt: %s (%s) %s\n", r.File, r.Code, r.Message)
		}
		for _, r := range res.Refused {
			fmt.Fprintln(stdout, r.Message)
		}
	}
	if err != nil && res == nil {
		return err // nothing started: a bad URL or --allow-host
	}
	if err != nil {
		return fmt.Errorf("Import abgebrochen (ein neuer Aufruf setzt ihn fort): %w", err)
	}
	return nil
}

// importResult is what `import oparl --json` prints.
type importResult struct {
	Import    int64                  `json:"import"`
	Resumed   bool                   `json:"resumed"`
	Since     string                 `json:"since,omitempty"`
	Complete  bool                   `json:"complete"`
	Created   map[string]int         `json:"created"`
	Updated   map[string]int         `json:"updated"`
	Unchanged map[string]int         `json:"unchanged"`
	Deleted   map[string]int         `json:"deleted"`
	Requests  int                    `json:"requests"`
	Unlinked  int                    `json:"unlinked_consultations"`
	Rejected  []oparlimport.Rejected `json:"rejected"`
	Skipped   []string               `json:"skipped"`
	Refused   []oparlimport.Refused  `json:"refused_urls"`
}

// hostList is the value of --allow-host: given again or with commas, it
// adds hosts; given at all, it replaces those of the environment.
type hostList struct {
	hosts []string
	set   bool
}

func (l *hostList) String() string { return strings.Join(l.hosts, ",") }

func (l *hostList) Set(v string) error {
	if !l.set {
		l.hosts, l.set = nil, true
	}
	l.hosts = append(l.hosts, splitHosts(v)...)
	return nil
}

func splitHosts(v string) []string {
	var hosts []string
	for _, h := range strings.Split(v, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

func importJSON(r *oparlimport.Result, err error) importResult {
	out := importResult{Import: r.ImportID, Resumed: r.Resumed, Complete: err == nil, Created: r.Created, Updated: r.Updated,
		Unchanged: r.Unchanged, Deleted: r.Deleted, Requests: r.Requests, Unlinked: r.Unlinked, Rejected: r.Rejected, Skipped: r.Skipped,
		Refused: r.Refused}
	if !r.Since.IsZero() {
		out.Since = r.Since.Format(time.RFC3339)
	}
	if out.Rejected == nil {
		out.Rejected = []oparlimport.Rejected{}
	}
	if out.Skipped == nil {
		out.Skipped = []string{}
	}
	if out.Refused == nil {
		out.Refused = []oparlimport.Refused{}
	}
	return out
}
