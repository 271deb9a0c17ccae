package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/bleve"
	"github.com/ratsmappe/ratsmappe/search/meili"
	"github.com/ratsmappe/ratsmappe/sessions/indexer"
)

// searchOpener returns how the configured search index is opened: the
// Meilisearch server of cfg.MeiliURL, or the embedded Bleve index in
// DATA/search. With fresh, the index is emptied for a rebuild. Opening
// the Bleve index never creates it: a missing index is rebuilt from the
// database like a damaged one.
func searchOpener(cfg Config) func(ctx context.Context, fresh bool) (search.Index, error) {
	if cfg.MeiliURL != "" {
		return func(ctx context.Context, fresh bool) (search.Index, error) {
			idx, err := meili.New(ctx, meili.Config{URL: cfg.MeiliURL, Key: cfg.MeiliKey})
			if err != nil {
				return nil, err
			}
			if fresh {
				if err := idx.Reset(ctx); err != nil {
					idx.Close()
					return nil, err
				}
			}
			return idx, nil
		}
	}
	dir := filepath.Join(cfg.Data, "search")
	opts := bleve.Options{CacheEntries: cfg.SearchCache}
	if cfg.SearchCache <= 0 {
		opts.CacheEntries = -1 // bleve's 0 is its default size
	}
	return func(ctx context.Context, fresh bool) (search.Index, error) {
		if fresh {
			return bleve.Create(dir, opts)
		}
		return bleve.Open(dir, opts)
	}
}

// newIndexer returns the indexer of app's database and the configured
// index; the caller Starts it (serve) or calls Reindex (reindex).
// commits, if not nil, marks the database's commits (serve on SQLite:
// searches then ask the database only after a commit).
func newIndexer(app *App, cfg Config, commits indexer.Commits) *indexer.Indexer {
	consumer, err := searchConsumer(app, cfg)
	if err != nil {
		app.Log.Error("search index: no name of its own; servers sharing the database must use Meilisearch", "err", err)
	}
	// The worker indexes after the uploads of this server, not beside
	// them (a clerk waits for an upload; the index can wait a moment).
	// On PostgreSQL serve tells it of the feed's commits (followChanges).
	return indexer.New(indexer.Config{DB: app.DB, Store: app.Sessions, Open: searchOpener(cfg), Log: app.Log, Consumer: consumer,
		Foreground: app.Docs, ChangesNotified: sqldb.DialectOf(app.DB) == sqldb.Postgres, Commits: commits})
}

// searchConsumer is the name the index follows the changes feed by
// (indexer.Config.Consumer): the shared one for Meilisearch, and for the
// embedded index on SQLite (one server); on PostgreSQL, where several
// servers share the database and each has an embedded index of its own,
// a name of the data directory's own, made once and kept in
// DATA/search.consumer.
func searchConsumer(app *App, cfg Config) (string, error) {
	if cfg.MeiliURL != "" || sqldb.DialectOf(app.DB) != sqldb.Postgres {
		return "", nil
	}
	file := filepath.Join(cfg.Data, "search.consumer")
	if b, err := os.ReadFile(file); err == nil && strings.HasPrefix(string(b), "search/") {
		return strings.TrimSpace(string(b)), nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	var r [12]byte
	rand.Read(r[:])
	name := "search/" + hex.EncodeToString(r[:])
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(name+"\n"), 0o644); err != nil {
		return "", err
	}
	return name, os.Rename(tmp, file)
}

func runReindex(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg Config
	fs := flag.NewFlagSet("reindex", flag.ContinueOnError)
	cfg.register(fs, "warn")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	app, err := openApp(ctx, cfg, newLogger(stderr, cfg.LogLevel), nil)
	if err != nil {
		return err
	}
	defer app.Close()
	start := time.Now()
	bar := newProgress(stderr, "Suchindex")
	err = newIndexer(app, cfg, nil).Reindex(ctx, bar.update)
	bar.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Suchindex neu aufgebaut: %d Dokumente in %s\n", bar.n, time.Since(start).Round(time.Millisecond))
	return nil
}

// progress draws a progress bar on a terminal, and a line per tenth on
// anything else (a log file must not fill with carriage returns).
type progress struct {
	w     io.Writer
	label string
	tty   bool
	n, of int
	tenth int
	drawn bool
	last  time.Time
}

func newProgress(w io.Writer, label string) *progress {
	p := &progress{w: w, label: label}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) update(done, total int) {
	p.n, p.of = done, total
	if p.tty {
		if time.Since(p.last) < 100*time.Millisecond && done < total {
			return
		}
		p.last = time.Now()
		const width = 30
		fill := width
		if total > 0 {
			fill = width * done / total
		}
		fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d Dokumente", p.label, strings.Repeat("#", fill), strings.Repeat(" ", width-fill), done, total)
		p.drawn = true
		return
	}
	if total > 0 && (done*10/total > p.tenth || done == total) && done > 0 {
		p.tenth = done * 10 / total
		fmt.Fprintf(p.w, "%s: %d/%d Dokumente\n", p.label, done, total)
	}
}

func (p *progress) done() {
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
	}
}
