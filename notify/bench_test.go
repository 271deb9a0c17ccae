package notify_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents/sqlite"
	"github.com/ratsmappe/ratsmappe/notify"
	"github.com/ratsmappe/ratsmappe/notify/mailpittest"
	"github.com/ratsmappe/ratsmappe/notify/smtp"
)

// BenchmarkInvitationRun measures issue 14's figure: an invitation run of
// 700 recipients enqueued in one transaction, from commit until the local
// SMTP server accepted the last (anchor: ≤ 10 s). Run it alone:
//
//	go test -run '^$' -bench InvitationRun -benchtime 1x ./notify/
func BenchmarkInvitationRun(b *testing.B) {
	const recipients = 700
	srv := mailpittest.Start(b, mailpittest.Options{})
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		db, o := benchOutbox(b, srv)
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		for r := range recipients {
			m := message(fmt.Sprintf("run/%d/person/%d", i, r), fmt.Sprintf("mitglied%03d@lindenau.example", r))
			if _, err := o.Enqueue(ctx, tx, m); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		sendAll(b, o, time.Minute)
		b.ReportMetric(time.Since(start).Seconds(), "s/run")
		db.Close()
	}
}

// BenchmarkChangeLatency measures issue 14's second figure: single changes,
// each enqueued in its own transaction while the worker runs, from commit
// to the local SMTP server's acceptance (anchor: p99 ≤ 5 s).
//
//	go test -run '^$' -bench ChangeLatency -benchtime 1x ./notify/
func BenchmarkChangeLatency(b *testing.B) {
	const changes = 200
	srv := mailpittest.Start(b, mailpittest.Options{})
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		db, o := benchOutbox(b, srv)
		rctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- o.Run(rctx) }()
		var keys []string
		for c := range changes {
			m := message(fmt.Sprintf("change/%d/%d", i, c), fmt.Sprintf("mitglied%03d@lindenau.example", c%25))
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := o.Enqueue(ctx, tx, m); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			o.Kick()
			keys = append(keys, m.Key)
			time.Sleep(5 * time.Millisecond) // changes arrive one by one
		}
		// What the worker has not sent yet, this sends alongside it; the
		// latency of each message is the same either way.
		sendAll(b, o, time.Minute)
		stop()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		var lat []time.Duration
		for _, k := range keys {
			d, err := o.FindDelivery(ctx, k)
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, d.Sent.Sub(d.Created))
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "ms-p50")
		b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "ms-p99")
		db.Close()
	}
}

// benchOutbox returns a new database and an outbox over it that sends to srv.
func benchOutbox(b *testing.B, srv *mailpittest.Server) (*sql.DB, *notify.Outbox) {
	b.Helper()
	ctx := context.Background()
	s, err := smtp.New(smtp.Config{URL: "smtp://" + srv.SMTP, From: killFrom})
	if err != nil {
		b.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "ratsmappe.db"))
	if err != nil {
		b.Fatal(err)
	}
	if err := sqlite.Migrate(ctx, db, "notify", notify.Migrations()); err != nil {
		b.Fatal(err)
	}
	return db, notify.NewOutbox(db, s, notify.Options{})
}
