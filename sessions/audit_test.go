package sessions_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/sessions"
)

func TestAuditLogIsAppendOnly(t *testing.T) { dbtest.Each(t, testAuditLogIsAppendOnly) }

func testAuditLogIsAppendOnly(t *testing.T, db *sql.DB) {
	st, db, _ := openStore(t, db)
	ctx := context.Background()
	must(t, st.Audit(ctx, sessions.AuditEntry{Actor: "amt", Action: "meeting.publish", ObjectType: "meeting", ObjectID: 3}))
	es, err := st.FindAuditEntries(ctx, 10)
	must(t, err)
	if len(es) != 1 || es[0].Action != "meeting.publish" {
		t.Fatalf("entries = %+v", es)
	}
	if _, err := db.Exec(`UPDATE audit_log SET actor = 'jemand'`); err == nil {
		t.Errorf("audit log entry changed")
	}
	if _, err := db.Exec(`DELETE FROM audit_log`); err == nil {
		t.Errorf("audit log entry deleted")
	}
	if err := st.Audit(ctx, sessions.AuditEntry{Actor: "amt"}); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
		t.Errorf("entry without action: %v", err)
	}
}

// Who read non-public document 42, and when.
func TestFindAuditEntriesFor(t *testing.T) { dbtest.Each(t, testFindAuditEntriesFor) }

func testFindAuditEntriesFor(t *testing.T, db *sql.DB) {
	st, _, clk := openStore(t, db)
	ctx := context.Background()
	start := clk.t
	for i, e := range []sessions.AuditEntry{
		{AccountID: 1, Actor: "Anna", Action: "document.read_nonpublic", ObjectType: "document", ObjectID: 42},
		{AccountID: 2, Actor: "Bernd", Action: "document.read_nonpublic", ObjectType: "document", ObjectID: 43},
		{AccountID: 1, Actor: "Anna", Action: "document.read_nonpublic", ObjectType: "document", ObjectID: 42},
		{AccountID: 3, Actor: "Amt", Action: "meeting.publish", ObjectType: "meeting", ObjectID: 42},
	} {
		clk.t = start.Add(time.Duration(i) * time.Minute)
		must(t, st.Audit(ctx, e))
	}
	for _, tc := range []struct {
		name string
		f    sessions.AuditFilter
		want int
	}{
		{"all", sessions.AuditFilter{}, 4},
		{"reads of document 42", sessions.AuditFilter{Action: "document.read_nonpublic", ObjectType: "document", ObjectID: 42}, 2},
		{"by account 1", sessions.AuditFilter{AccountID: 1}, 2},
		{"objects 42 of any type", sessions.AuditFilter{ObjectID: 42}, 3},
		{"from the third minute", sessions.AuditFilter{From: start.Add(2 * time.Minute)}, 2},
		{"before the second minute", sessions.AuditFilter{To: start.Add(time.Minute)}, 1},
		{"one page", sessions.AuditFilter{Limit: 3, Offset: 2}, 2},
	} {
		es, err := st.FindAuditEntriesFor(ctx, tc.f)
		must(t, err)
		if got := len(es); got != tc.want {
			t.Errorf("%s: %d entries, want %d", tc.name, got, tc.want)
		}
		for i := 1; i < len(es); i++ {
			if es[i].At.After(es[i-1].At) {
				t.Errorf("%s: not newest first", tc.name)
			}
		}
	}
	es, err := st.FindAuditEntries(ctx, 1)
	must(t, err)
	if len(es) != 1 || es[0].Action != "meeting.publish" || !es[0].At.Equal(start.Add(3*time.Minute)) {
		t.Errorf("newest entry = %+v", es[0])
	}
}

// Entries of concurrent calls are committed together, and every call
// returns only once its own entry is in the log.
func TestAuditConcurrent(t *testing.T) { dbtest.Each(t, testAuditConcurrent) }

func testAuditConcurrent(t *testing.T, db *sql.DB) {
	st, db, _ := openStore(t, db)
	ctx := context.Background()
	errs := dbtest.Concurrently(64, func(i int) error {
		if err := st.Audit(ctx, sessions.AuditEntry{Actor: "anna", Action: "document.read_nonpublic", ObjectType: "document", ObjectID: int64(i + 1)}); err != nil {
			return err
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE object_id = ?`, i+1).Scan(&n); err != nil || n != 1 {
			return fmt.Errorf("entry %d: %d in the log after Audit returned (%v)", i+1, n, err)
		}
		return nil
	})
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	var n int
	must(t, db.QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&n))
	if n != 64 {
		t.Errorf("%d entries, want 64", n)
	}
}
