package dbcopy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/internal/dbcopy"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
)

// BenchmarkCopy copies 10,000 documents with a version each and 5 pages
// of 2 KB text per version (80,000 rows, about 100 MB of text) from
// SQLite to PostgreSQL and reports rows per second, copy and
// verification together:
//
//	go test -run X -bench Copy -benchtime 1x ./internal/dbcopy/
func BenchmarkCopy(b *testing.B) {
	ctx := context.Background()
	src := dbtest.Open(b, sqldb.SQLite)
	if err := schema.Migrate(ctx, src); err != nil {
		b.Fatal(err)
	}
	const docs, pages = 10_000, 5
	tx, err := src.Begin()
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("Die Verwaltung empfiehlt, die Straßenbeleuchtung zu erneuern. ", 32)
	sha := strings.Repeat("ab", 32)
	at := time.Now().UTC().Format(time.RFC3339)
	for d := 1; d <= docs; d++ {
		tx.Exec(`INSERT INTO documents (id, title, kind, file_name, created_at, created_by) VALUES (?, ?, 'attachment', 'v.pdf', ?, 'amt')`,
			d, fmt.Sprintf("Vorlage %d", d), at)
		if _, err := tx.Exec(`INSERT INTO versions (document_id, number, sha256, size, original_sha256, original_size, file_name, pages, state, uploader, created_at, state_changed_at)
			VALUES (?, 1, ?, 1000, ?, 1000, 'v.pdf', ?, 'active', 'amt', ?, ?)`, d, sha, sha, pages, at, at); err != nil {
			b.Fatal(err)
		}
		for p := 1; p <= pages; p++ {
			tx.Exec(`INSERT INTO pages (document_id, version, number, width, height, text) VALUES (?, 1, ?, 595.28, 841.89, ?)`, d, p, text)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dst := dbtest.Open(b, sqldb.Postgres)
		b.StartTimer()
		start := time.Now()
		r, err := dbcopy.Copy(ctx, src, dst, dbcopy.Options{Source: "sqlite:bench", Scopes: []string{"documents", "annotate"}})
		if err != nil {
			b.Fatal(err)
		}
		var rows int64
		for _, t := range r.Tables {
			rows += t.Target.Rows
		}
		b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
	}
}
