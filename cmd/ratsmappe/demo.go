package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/schollz/progressbar/v3"

	"github.com/ratsmappe/ratsmappe/sessions/demo"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	cfg.register(fs, "warn")
	canary := fs.String("canary", "", "put this word into every non-public item title and document, for leak tests")
	asJSON := fs.Bool("json", false, "print what was created as JSON")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	app, err := openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel), nil)
	if err != nil {
		return err
	}
	defer app.Close()
	res, err := loadDemo(ctx, app, *canary, stderr)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printDemo(stdout, res)
	return nil
}

func loadDemo(ctx context.Context, app *App, canary string, stderr io.Writer) (*demo.Result, error) {
	var bar *progressbar.ProgressBar
	progress := func(done, total int) {
		if !isTerminal(stderr) {
			return
		}
		if bar == nil {
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("Demo-Dokumente"),
				progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
		}
		bar.Set(done)
	}
	if !isTerminal(stderr) {
		fmt.Fprintln(stderr, "Lade die Demo-Stadt Lindenau (Dokumente werden erzeugt und geprüft) …")
	}
	res, err := demo.Load(ctx, app.Docs, app.Sessions, app.Accounts, demo.Options{
		Canary:   canary,
		Workers:  app.Pool.Workers(),
		Logger:   app.Log,
		TempDir:  filepath.Join(app.cfg.Data, "tmp"),
		Progress: progress,
		// Consent only: the demo sends no mail.
		Invitations: invitation.New(invitation.Config{DB: app.DB, Sessions: app.Sessions, Documents: app.Docs}),
	})
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return nil, err
	}
	app.Log.Info("demo loaded", slog.Int("meetings", len(res.Meetings)), slog.Int("documents", res.Documents))
	return res, nil
}

func printDemo(w io.Writer, res *demo.Result) {
	fmt.Fprintf(w, "\nDemo „%s“ geladen: %d Sitzungen, %d Dokumente.\n\nAnmeldungen:\n", res.Body, len(res.Meetings), res.Documents)
	for _, a := range res.Accounts {
		fmt.Fprintf(w, "  %-10s Passwort %s  (%s; %s)\n", a.Name, a.Password, a.Role, a.Note)
	}
	fmt.Fprintln(w)
}
