package sessions

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
)

// A batch of the audit writer larger than one INSERT is written whole,
// in one transaction, as a single entry is: every entry, each once.
// (Concurrent calls rarely gather that many, so the batch is handed to
// the writer directly.)
func TestWriteAuditBatches(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		dbtest.Migrate(t, db, "documents", documents.Migrations(), documents.PostgresMigrations())
		dbtest.Migrate(t, db, "sessions", Migrations(), PostgresMigrations())
		s := NewStore(db, time.Now)
		at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		for _, n := range []int{1, auditPerInsert, 2*auditPerInsert + 3} {
			entries := make([]AuditEntry, n)
			for i := range entries {
				entries[i] = AuditEntry{At: at, Actor: "anna", Action: "document.read_nonpublic", ObjectType: "batch", ObjectID: int64(n*10000 + i)}
			}
			if err := s.writeAudit(context.Background(), entries); err != nil {
				t.Fatal(err)
			}
			var count, distinct int
			if err := db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT object_id) FROM audit_log WHERE object_id >= ? AND object_id < ?`,
				n*10000, n*10000+n).Scan(&count, &distinct); err != nil {
				t.Fatal(err)
			}
			if count != n || distinct != n {
				t.Errorf("batch of %d: %d entries, %d distinct", n, count, distinct)
			}
		}
	})
}
