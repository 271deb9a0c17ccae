package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/sessions/demo"
	"github.com/ratsmappe/ratsmappe/sessions/demo/scale"
	"github.com/ratsmappe/ratsmappe/sessions/invitation"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	cfg.register(fs, "warn")
	canary := fs.String("canary", "", "put this word into every non-public item title and document, for leak tests")
	asJSON := fs.Bool("json", false, "print what was created as JSON")
	years := fs.Int("scale", 0, "add N years of a large city's business (3,000 meetings, 20,000 papers, 60,000 document versions a year) to the demo council, for benchmarks")
	seed := fs.Uint64("seed", 1, "with --scale: the same seed makes the same city")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	if *years < 0 || *years > 100 {
		return ratsmappe.Errorf(ratsmappe.EINVALID, "--scale: zwischen 1 und 100 Jahren, nicht %d (between 1 and 100 years)", *years)
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
	var city *scale.Result
	if *years > 0 {
		if city, err = loadScale(ctx, app, res, *years, *seed, stderr); err != nil {
			return err
		}
	}
	if *asJSON {
		if city != nil {
			return encodeJSON(stdout, struct {
				*demo.Result
				Scale *scale.Result `json:"scale"`
			}{res, city})
		}
		return encodeJSON(stdout, res)
	}
	printDemo(stdout, res)
	if city != nil {
		printScale(stdout, city, *years)
	}
	return nil
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// loadScale adds years of a large city's business to the demo's body,
// with seats in its council and first committees for the demo's members.
func loadScale(ctx context.Context, app *App, res *demo.Result, years int, seed uint64, stderr io.Writer) (*scale.Result, error) {
	bodies, err := app.Sessions.FindBodies(ctx)
	if err != nil {
		return nil, err
	}
	if len(bodies) == 0 {
		return nil, fmt.Errorf("scale: no body")
	}
	var members []int64
	for _, a := range res.Accounts {
		if a.Role == "member" && a.PersonID != 0 {
			members = append(members, a.PersonID)
		}
	}
	var bar *progressbar.ProgressBar
	if isTerminal(stderr) {
		bar = progressbar.NewOptions(years*scale.MeetingsPerYear, progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("Großstadt-Sitzungen"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	} else {
		fmt.Fprintf(stderr, "Erzeuge %d Jahr(e) einer Großstadt …\n", years)
	}
	// A line per year with the year's time: a year costs the same
	// whatever came before (changes' 0005), and an operator sees at once
	// if it does not.
	yearStart := time.Now()
	city, err := scale.Generate(ctx, app.DB, scale.Options{Years: years, Seed: seed, BodyID: bodies[0].ID, Members: members, Blobs: app.Docs.Blobs(),
		Progress: func(done, total int) {
			if done%scale.MeetingsPerYear != 0 && done != total {
				if bar != nil {
					bar.Set(done)
				}
				return
			}
			if bar != nil {
				bar.Clear()
			}
			year := (done + scale.MeetingsPerYear - 1) / scale.MeetingsPerYear
			fmt.Fprintf(stderr, "  %d von %d Sitzungen – Jahr %d in %v\n", done, total, year, time.Since(yearStart).Round(time.Second))
			yearStart = time.Now()
			if bar != nil {
				bar.Set(done)
			}
		}})
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return nil, err
	}
	app.Log.Info("scale loaded", slog.Int("years", years), slog.Int("meetings", city.Meetings), slog.Duration("elapsed", city.Elapsed))
	return city, nil
}

func printScale(w io.Writer, c *scale.Result, years int) {
	fmt.Fprintf(w, "Großstadt: %d Jahr(e) in %v erzeugt: %d Gremien, %d Personen, %d Sitzungen, %d Tagesordnungspunkte, %d Vorlagen, %d Beratungen,\n"+
		"%d Dokumente mit %d Fassungen und %d Seiten, %d Niederschriften, %d Einträge im Veröffentlichungsprotokoll.\n\n",
		years, c.Elapsed.Round(time.Second), c.Organizations, c.Persons, c.Meetings, c.AgendaItems, c.Papers, c.Consultations,
		c.Documents, c.Versions, c.Pages, c.Minutes, c.LedgerRows)
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
	// Served at once, the fresh tables would be planned without
	// statistics until autovacuum's first ANALYZE (as after demo
	// --scale, sessions/demo/scale): OParl's paper page took seconds.
	if sqldb.DialectOf(app.DB) == sqldb.Postgres {
		if _, err := app.DB.ExecContext(ctx, `ANALYZE`); err != nil {
			return nil, fmt.Errorf("demo: analyze: %w", err)
		}
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
