package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/documents"
)

func runDoc(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "add":
		return runDocAdd(ctx, args[1:], stdout, stderr)
	case "version":
		return runDocVersion(ctx, args[1:], stdout, stderr)
	case "list":
		return runDocList(ctx, args[1:], stdout, stderr)
	case "show":
		return runDocShow(ctx, args[1:], stdout, stderr)
	case "get":
		return runDocGet(ctx, args[1:], stdout, stderr)
	case "text":
		return runDocText(ctx, args[1:], stdout, stderr)
	case "withdraw":
		return runDocWithdraw(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "ratsmappe doc: unknown subcommand %q\n\n%s", args[0], usage)
		return errUsage
	}
}

// parse parses args into fs, printing usage errors to stderr.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(reorder(fs, args)); err != nil {
		return errUsage
	}
	return nil
}

// addResult is the JSON object `doc add --json` and `doc version --json`
// print for each input.
type addResult struct {
	File      string   `json:"file"`
	Status    string   `json:"status"` // accepted or rejected
	Document  int64    `json:"document,omitempty"`
	Version   int      `json:"version,omitempty"`
	Pages     int      `json:"pages,omitempty"`
	SHA256    string   `json:"sha256,omitempty"`
	Sanitized []string `json:"sanitized"`
	OCRPages  int      `json:"ocr_pages"`
	Code      string   `json:"code,omitempty"`
	Message   string   `json:"message,omitempty"`
	MessageEN string   `json:"message_en,omitempty"`
}

// toResult turns the outcome of one upload into its result line. Errors
// that are about the file (rejections, conflicts) become "rejected";
// anything else is a failure of the tool and is returned.
func toResult(file string, a *documents.Added, err error) (addResult, error) {
	r := addResult{File: file, Sanitized: []string{}}
	if err == nil {
		r.Status = "accepted"
		r.Document, r.Version, r.Pages, r.SHA256 = a.Document.ID, a.Version.Number, a.Version.Pages, a.Version.SHA256
		if a.Sanitized != nil {
			r.Sanitized = a.Sanitized
		}
		r.OCRPages = a.OCRPages
		return r, nil
	}
	if rej := documents.RejectionOf(err); rej != nil {
		r.Status, r.Code, r.Message, r.MessageEN = "rejected", rej.Reason, rej.Message, rej.MessageEN
		return r, nil
	}
	switch code := ratsmappe.ErrorCode(err); code {
	case ratsmappe.ECONFLICT, ratsmappe.EINVALID, ratsmappe.ETOOLARGE, ratsmappe.EUNSUPPORTED:
		r.Status, r.Code, r.Message = "rejected", code, ratsmappe.ErrorMessage(err)
		return r, nil
	}
	return r, err
}

func printResult(w io.Writer, asJSON bool, r addResult) {
	if asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	if r.Status == "accepted" {
		extra := ""
		if len(r.Sanitized) > 0 {
			extra += "; entfernt: " + strings.Join(r.Sanitized, ", ")
		}
		if r.OCRPages > 0 {
			extra += fmt.Sprintf("; %d Seiten per OCR", r.OCRPages)
		}
		fmt.Fprintf(w, "angenommen  %s → Dokument %d, Version %d, %d Seiten%s\n", r.File, r.Document, r.Version, r.Pages, extra)
		return
	}
	fmt.Fprintf(w, "abgelehnt   %s (%s): %s\n", r.File, r.Code, r.Message)
}

func runDocAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("doc add", flag.ContinueOnError)
	cfg.register(fs, "warn")
	title := fs.String("title", "", "title (only with a single file; default from the file name)")
	kind := fs.String("kind", documents.KindOther, "kind: "+strings.Join(documents.Kinds, ", "))
	uploader := fs.String("uploader", envString("USER", "cli"), "who uploads")
	asJSON := fs.Bool("json", false, "print one JSON object per input on stdout")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "ratsmappe doc add: name at least one FILE or DIR")
		return errUsage
	}
	if !documents.ValidKind(*kind) {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "unknown kind %q; use one of %s", *kind, strings.Join(documents.Kinds, ", "))
	}
	files, err := expandInputs(fs.Args())
	if err != nil {
		return err
	}
	if *title != "" && len(files) > 1 {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "--title works only with a single file")
	}
	// The workers start while the database opens (as many as there are
	// files, at most one per worker).
	cfg.prestart = len(files)
	app, err := openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel), nil)
	if err != nil {
		return err
	}
	defer app.Close()

	var bar *progressbar.ProgressBar
	if len(files) > 1 && isTerminal(stderr) {
		bar = progressbar.NewOptions(len(files),
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("PDFs"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish())
	}
	// Files are ingested in parallel, one per PDF worker, and printed in
	// input order. One goroutine more than workers: while one stores its
	// file (hashes, fsyncs, commit), the next already has the worker.
	type outcome struct {
		r   addResult
		err error
	}
	results := make([]chan outcome, len(files))
	for i := range results {
		results[i] = make(chan outcome, 1)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < app.Pool.Workers()+1; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				a, err := app.Docs.AddDocument(ctx, documents.Upload{Path: files[i], Title: *title, Kind: *kind, Uploader: *uploader})
				r, err := toResult(files[i], a, err)
				results[i] <- outcome{r, err}
			}
		}()
	}
	go func() {
		defer close(next)
		order := largestFirst(files)
		for k, i := range order {
			select {
			case next <- i:
			case <-ctx.Done():
				for _, j := range order[k:] {
					results[j] <- outcome{err: ctx.Err()}
				}
				return
			}
		}
	}()
	var failed error
	accepted, rejected := 0, 0
	for i := range files {
		o := <-results[i]
		if bar != nil {
			bar.Add(1)
		}
		if o.err != nil {
			if failed == nil {
				failed = fmt.Errorf("%s: %w", files[i], o.err)
			}
			continue
		}
		if o.r.Status == "accepted" {
			accepted++
		} else {
			rejected++
		}
		if bar != nil && !*asJSON {
			bar.Clear()
		}
		printResult(stdout, *asJSON, o.r)
	}
	wg.Wait()
	if bar != nil {
		bar.Finish()
	}
	if !*asJSON && len(files) > 1 {
		fmt.Fprintf(stderr, "%d angenommen, %d abgelehnt\n", accepted, rejected)
	}
	return failed
}

// largestFirst returns the indexes of files, biggest file first. The
// workers take the long jobs first and the short ones fill the gaps, so
// that no worker waits idle at the end while another still parses the
// biggest file of the folder (longest-processing-time-first scheduling).
// Results are still printed in input order.
func largestFirst(files []string) []int {
	size := make([]int64, len(files))
	order := make([]int, len(files))
	for i, f := range files {
		order[i] = i
		if st, err := os.Stat(f); err == nil {
			size[i] = st.Size()
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return size[order[a]] > size[order[b]] })
	return order
}

// expandInputs turns FILE|DIR arguments into files: a file as named, a
// directory as every *.pdf below it (case-insensitive), sorted.
func expandInputs(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, ratsmappe.Errorf(ratsmappe.EINVALID, "cannot read %s: %v", a, errors.Unwrap(err))
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() && strings.EqualFold(filepath.Ext(p), ".pdf") {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read directory %s: %w", a, err)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, ratsmappe.Errorf(ratsmappe.EINVALID, "not a document id: %q", s)
	}
	return id, nil
}

func runDocVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("doc version", flag.ContinueOnError)
	cfg.register(fs, "warn")
	note := fs.String("note", "", "change note")
	uploader := fs.String("uploader", envString("USER", "cli"), "who uploads")
	asJSON := fs.Bool("json", false, "print the result as a JSON object")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fmt.Fprintln(stderr, "usage: ratsmappe doc version [flags] ID FILE")
		return errUsage
	}
	id, err := parseID(fs.Arg(0))
	if err != nil {
		return err
	}
	app, err := openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel), nil)
	if err != nil {
		return err
	}
	defer app.Close()
	a, err := app.Docs.AddVersion(ctx, id, documents.Upload{Path: fs.Arg(1), Uploader: *uploader, Note: *note})
	if ratsmappe.ErrorCode(err) == ratsmappe.ENOTFOUND {
		return err
	}
	r, err := toResult(fs.Arg(1), a, err)
	if err != nil {
		return err
	}
	printResult(stdout, *asJSON, r)
	return nil
}

type listEntry struct {
	ID      int64  `json:"id"`
	Title   string `json:"title"`
	Kind    string `json:"kind"`
	Current int    `json:"current_version"`
	Pages   int    `json:"pages"`
}

func runDocList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("doc list", flag.ContinueOnError)
	cfg.register(fs, "warn")
	asJSON := fs.Bool("json", false, "print one JSON object per document")
	kind := fs.String("kind", "", "only documents of this kind")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	app, err := openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel), nil)
	if err != nil {
		return err
	}
	defer app.Close()
	docs, err := app.Docs.Store().FindDocuments(ctx, documents.DocumentFilter{Kind: *kind})
	if err != nil {
		return err
	}
	for _, d := range docs {
		if *asJSON {
			b, _ := json.Marshal(listEntry{d.ID, d.Title, d.Kind, d.Current, d.Pages})
			fmt.Fprintf(stdout, "%s\n", b)
		} else {
			fmt.Fprintf(stdout, "%6d  v%-3d %4d S.  %-16s %s\n", d.ID, d.Current, d.Pages, d.Kind, d.Title)
		}
	}
	return nil
}

func runDocShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("doc show", flag.ContinueOnError)
	cfg.register(fs, "warn")
	asJSON := fs.Bool("json", false, "print as JSON")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: ratsmappe doc show ID")
		return errUsage
	}
	id, err := parseID(fs.Arg(0))
	if err != nil {
		return err
	}
	app, err := openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel), nil)
	if err != nil {
		return err
	}
	defer app.Close()
	d, err := app.Docs.Store().FindDocumentByID(ctx, id)
	if err != nil {
		return err
	}
	vs, err := app.Docs.Store().FindVersions(ctx, id)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"document": d, "versions": vs})
	}
	fmt.Fprintf(stdout, "Dokument %d: %s\nArt: %s\nDatei: %s\nAngelegt: %s von %s\nAktuelle Version: %d (%d Seiten)\n\nVersionen:\n",
		d.ID, d.Title, d.Kind, d.FileName, d.Created.Local().Format("02.01.2006 15:04"), d.CreatedBy, d.Current, d.Pages)
	for _, v := range vs {
		fmt.Fprintf(stdout, "  %d  %-10s  %s  %s  %d Seiten  %d Bytes  sha256 %s\n", v.Number, v.State,
			v.Created.Local().Format("02.01.2006 15:04"), v.Uploader, v.Pages, v.Size, v.SHA256)
		if v.Note != "" {
			fmt.Fprintf(stdout, "     Änderung: %s\n", v.Note)
		}
		if len(v.Sanitized) > 0 {
			fmt.Fprintf(stdout, "     entfernt: %s\n", strings.Join(v.Sanitized, ", "))
		}
		if len(v.OCRPages) > 0 {
			fmt.Fprintf(stdout, "     OCR-Seiten: %v\n", v.OCRPages)
		}
	}
	return nil
}

func runDocGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("doc get", flag.ContinueOnError)
	cfg.register(fs, "warn")
	n := fs.Int("version", 0, "version number (default: current)")
	original := fs.Bool("original", false, "the file as uploaded instead of the sanitized rendition")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: ratsmappe doc get ID [--version N] [--original] > out.pdf")
		return errUsage
	}
	id, err := parseID(fs.Arg(0))
	if err != nil {
		return err
	}
	if isTerminal(stdout) {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "refusing to write a PDF to the terminal; redirect the output: ratsmappe doc get %d > out.pdf", id)
	}
	app, err := openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel), nil)
	if err != nil {
		return err
	}
	defer app.Close()
	_, rc, err := app.Docs.Open(ctx, id, *n, *original)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(stdout, rc)
	return err
}

func runDocText(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("doc text", flag.ContinueOnError)
	cfg.register(fs, "warn")
	n := fs.Int("version", 0, "version number (default: current)")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: ratsmappe doc text ID [--version N]")
		return errUsage
	}
	id, err := parseID(fs.Arg(0))
	if err != nil {
		return err
	}
	app, err := openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel), nil)
	if err != nil {
		return err
	}
	defer app.Close()
	v, err := app.Docs.Store().FindVersion(ctx, id, *n)
	if err != nil {
		return err
	}
	pages, err := app.Docs.Store().FindPages(ctx, id, v.Number)
	if err != nil {
		return err
	}
	for i, p := range pages {
		if i > 0 {
			io.WriteString(stdout, "\f")
		}
		io.WriteString(stdout, p.Text)
	}
	return nil
}

func runDocWithdraw(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("doc withdraw", flag.ContinueOnError)
	cfg.register(fs, "warn")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fmt.Fprintln(stderr, "usage: ratsmappe doc withdraw ID N")
		return errUsage
	}
	id, err := parseID(fs.Arg(0))
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(fs.Arg(1))
	if err != nil || n <= 0 {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "not a version number: %q", fs.Arg(1))
	}
	app, err := openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel), nil)
	if err != nil {
		return err
	}
	defer app.Close()
	if err := app.Docs.Withdraw(ctx, id, n); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Version %d von Dokument %d zurückgezogen (bleibt gespeichert).\n", n, id)
	return nil
}

// reorder moves flags that come after positional arguments to the front,
// so that "doc get 3 --version 2" works like "doc get --version 2 3". It
// asks fs which flags are booleans (they take no separate value).
func reorder(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				continue
			}
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return append(flags, pos...)
}
