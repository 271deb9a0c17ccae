package notify_test

import (
	"context"
	"fmt"
	"path/filepath"
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
	s, err := smtp.New(smtp.Config{URL: "smtp://" + srv.SMTP, From: killFrom})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "ratsmappe.db"))
		if err != nil {
			b.Fatal(err)
		}
		if err := sqlite.Migrate(ctx, db, "notify", notify.Migrations()); err != nil {
			b.Fatal(err)
		}
		o := notify.NewOutbox(db, s, notify.Options{})
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
