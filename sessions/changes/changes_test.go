package changes_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/documents"
	"github.com/ratsmappe/ratsmappe/documents/fsblob"
	"github.com/ratsmappe/ratsmappe/documents/ingesttest"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/pgtest"
	"github.com/ratsmappe/ratsmappe/internal/schema"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/changes"
)

type fixture struct {
	db                    *sql.DB
	st                    *sessions.Store
	body, org, person     int64
	committee, council    int64 // meetings
	committeeItem, plenum int64 // items consulting the same paper
	paper                 int64
	paperDoc, councilDoc  int64
}

// newFixture builds a paper consulted on a committee's item and on the
// council's item (a matter on two agendas), each with a document. The
// documents are inserted with plain SQL, as the demo loader and the
// benchmarks do, so the feed is seen to catch writes that bypass the
// stores.
func newFixture(t *testing.T, db *sql.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	migrate(t, db)
	f := &fixture{db: db, st: sessions.NewStore(db, nil)}
	b := &sessions.Body{Name: "Stadt Musterstadt"}
	must(t, f.st.CreateBody(ctx, b))
	o := &sessions.Organization{BodyID: b.ID, Name: "Bauausschuss", Classification: sessions.ClassCommittee}
	must(t, f.st.CreateOrganization(ctx, o))
	p := &sessions.Person{BodyID: b.ID, GivenName: "Anna", FamilyName: "Beispiel"}
	must(t, f.st.CreatePerson(ctx, p))
	f.body, f.org, f.person = b.ID, o.ID, p.ID
	meeting := func() int64 {
		m := &sessions.Meeting{OrganizationID: o.ID, Name: "Sitzung", Start: time.Now().Add(48 * time.Hour)}
		must(t, f.st.CreateMeeting(ctx, m))
		return m.ID
	}
	item := func(meeting int64) int64 {
		it := &sessions.AgendaItem{MeetingID: meeting, Number: "N 1", Title: "Grundstück"}
		must(t, f.st.CreateAgendaItem(ctx, it))
		return it.ID
	}
	f.committee, f.council = meeting(), meeting()
	f.committeeItem, f.plenum = item(f.committee), item(f.council)
	pa := &sessions.Paper{BodyID: b.ID, Reference: "V/2026/1", Name: "Verkauf"}
	must(t, f.st.CreatePaper(ctx, pa))
	f.paper = pa.ID
	for _, it := range []int64{f.committeeItem, f.plenum} {
		must(t, f.st.Consult(ctx, &sessions.Consultation{PaperID: pa.ID, AgendaItemID: it}))
	}
	doc := func() int64 {
		var id int64
		must(t, db.QueryRowContext(ctx, `INSERT INTO documents (title, kind, file_name, created_at, created_by)
			VALUES ('Vorlage', 'draft', 'v.pdf', '2026-01-01T00:00:00Z', 'test') RETURNING id`).Scan(&id))
		return id
	}
	f.paperDoc, f.councilDoc = doc(), doc()
	must(t, f.st.Attach(ctx, &sessions.Attachment{DocumentID: f.paperDoc, PaperID: pa.ID}))
	must(t, f.st.Attach(ctx, &sessions.Attachment{DocumentID: f.councilDoc, AgendaItemID: f.plenum}))
	return f
}

func TestMain(m *testing.M) { pgtest.Main(m) }

// migrate gives db the whole schema. On PostgreSQL, where the search
// indexer has no tables yet, it applies the scopes the feed watches and
// registers the indexer's cursor as its migration does on SQLite.
func migrate(t testing.TB, db *sql.DB) {
	t.Helper()
	if sqldb.DialectOf(db) == sqldb.SQLite {
		must(t, schema.Migrate(context.Background(), db))
		return
	}
	dbtest.Migrate(t, db, "documents", documents.Migrations(), documents.PostgresMigrations())
	dbtest.Migrate(t, db, "sessions", sessions.Migrations(), sessions.PostgresMigrations())
	dbtest.Migrate(t, db, "changes", changes.Migrations(), changes.PostgresMigrations())
	_, err := db.Exec(`INSERT INTO changes_cursors (consumer, seq) VALUES ('search', 0)`)
	must(t, err)
}

// since returns the kinds and the documents the feed recorded after seq.
func (f *fixture) since(t *testing.T, seq int64) (kinds []string, docs []int64) {
	t.Helper()
	rows, err := f.db.Query(`SELECT kind, object_id FROM changes WHERE seq > ? ORDER BY seq`, seq)
	must(t, err)
	defer rows.Close()
	for rows.Next() {
		var k string
		var id int64
		must(t, rows.Scan(&k, &id))
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
		if k == changes.KindDocument && !slices.Contains(docs, id) {
			docs = append(docs, id)
		}
	}
	must(t, rows.Err())
	slices.Sort(docs)
	return kinds, docs
}

// Every change anything public or indexed is built from lands in the
// feed in its own transaction, with the documents whose search records
// follow from it; account, sign-in and audit writes (a member's every
// request) do not, so they never empty the portal cache.
func TestFeedRecordsWhatChanged(t *testing.T) { dbtest.Each(t, testFeedRecordsWhatChanged) }

func testFeedRecordsWhatChanged(t *testing.T, db *sql.DB) {
	ctx := context.Background()
	f := newFixture(t, db)
	for _, c := range []struct {
		name   string
		change func() error
		kind   string  // a kind the change records; "" for none at all
		docs   []int64 // the documents it names
	}{
		{"body renamed", func() error { return f.st.UpdateBody(ctx, &sessions.Body{ID: f.body, Name: "Stadt Neustadt"}) }, "body", nil},
		{"person added", func() error {
			return f.st.CreatePerson(ctx, &sessions.Person{BodyID: f.body, FamilyName: "Muster"})
		}, "person", nil},
		{"council meeting published", func() error { return f.st.PublishMeeting(ctx, f.council, time.Now()) }, "meeting", []int64{f.councilDoc, f.paperDoc}},
		// The exclusion follows the matter: excluded on the committee's
		// item, the person loses the council's document too.
		{"exclusion on the committee's item", func() error { return f.st.AddExclusion(ctx, f.committeeItem, f.person, "befangen") }, "exclusion", []int64{f.councilDoc, f.paperDoc}},
		{"exclusion lifted", func() error { return f.st.RemoveExclusion(ctx, f.committeeItem, f.person) }, "exclusion", []int64{f.councilDoc, f.paperDoc}},
		{"membership", func() error {
			return f.st.CreateMembership(ctx, &sessions.Membership{PersonID: f.person, OrganizationID: f.org, StartDate: "2024-01-01"})
		}, "membership", []int64{f.councilDoc, f.paperDoc}},
		{"document renamed by plain SQL", func() error {
			_, err := f.db.ExecContext(ctx, `UPDATE documents SET title = 'Neu' WHERE id = ?`, f.paperDoc)
			return err
		}, "document", []int64{f.paperDoc}},
		// Plain SQL: these tables are about to leave package sessions.
		{"account, sign-in and audit entry", func() error {
			_, err := f.db.ExecContext(ctx, `INSERT INTO accounts (id, name, display_name, role, created, modified)
				VALUES (1, 'anna', 'Anna', 'member', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
				INSERT INTO sign_ins (token_hash, account_id, created, last_seen) VALUES ('x', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
				INSERT INTO audit_log (at, account_id, actor, action) VALUES ('2026-01-01T00:00:00Z', 1, 'anna', 'meeting.publish')`)
			return err
		}, "", nil},
	} {
		before, err := changes.Newest(ctx, f.db)
		must(t, err)
		if err := c.change(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		kinds, docs := f.since(t, before)
		if c.kind == "" {
			if len(kinds) != 0 {
				t.Errorf("%s: recorded %v, want nothing", c.name, kinds)
			}
			continue
		}
		if !slices.Contains(kinds, c.kind) {
			t.Errorf("%s: recorded %v, want %q among them", c.name, kinds, c.kind)
		}
		slices.Sort(c.docs)
		if !slices.Equal(docs, c.docs) {
			t.Errorf("%s: names documents %v, want %v", c.name, docs, c.docs)
		}
	}
}

// Compaction deletes only what every cursor has passed, never the newest
// row, so the newest seq (the portal cache's generation) never goes back.
func TestCompact(t *testing.T) { dbtest.Each(t, testCompact) }

func testCompact(t *testing.T, db *sql.DB) {
	ctx := context.Background()
	f := newFixture(t, db)
	newest, err := changes.Newest(ctx, f.db)
	must(t, err)
	search, err := changes.Cursor(ctx, f.db, "search")
	must(t, err)
	if search != 0 {
		t.Fatalf("the indexer's cursor is at %d before it ran, want 0", search)
	}
	if n, err := changes.Compact(ctx, f.db, 0); err != nil || n != 0 {
		t.Fatalf("compact behind the indexer's cursor deleted %d rows (%v), want 0", n, err)
	}
	// Every consumer (the indexer, the members' notices) reads on.
	consumers := column[string](t, f.db, `SELECT consumer FROM changes_cursors ORDER BY consumer`)
	advance := func(seq int64) {
		for _, c := range consumers {
			must(t, changes.Advance(ctx, f.db, c, seq))
		}
	}
	must(t, changes.Advance(ctx, f.db, "search", newest-3))
	if len(consumers) > 1 {
		if n, err := changes.Compact(ctx, f.db, 0); err != nil || n != 0 {
			t.Fatalf("compact behind another consumer's cursor deleted %d rows (%v), want 0", n, err)
		}
		advance(newest - 3)
	}
	if n, err := changes.Compact(ctx, f.db, 2); err != nil || n != newest-3 {
		t.Fatalf("compact deleted %d rows (%v), want %d", n, err, newest-3)
	}
	advance(newest)
	if _, err := changes.Compact(ctx, f.db, 0); err != nil {
		t.Fatal(err)
	}
	var left int
	must(t, f.db.QueryRow(`SELECT COUNT(*) FROM changes`).Scan(&left))
	if got, _ := changes.Newest(ctx, f.db); left != 1 || got != newest {
		t.Errorf("after compacting everything: %d rows, newest %d; want 1 row, %d", left, got, newest)
	}
	if err := changes.Advance(ctx, f.db, "search", newest-1); err == nil {
		t.Error("a cursor moved back")
	}
	if err := changes.Advance(ctx, f.db, "nobody", newest); err == nil {
		t.Error("an unregistered consumer advanced")
	}
	// A change after compaction gets a seq above every earlier one.
	must(t, f.st.UpdateBody(ctx, &sessions.Body{ID: f.body, Name: "Stadt Altstadt"}))
	if got, _ := changes.Newest(ctx, f.db); got <= newest {
		t.Errorf("newest after a change: %d, want above %d", got, newest)
	}
}

// column returns the values of the one column query selects.
func column[T any](t *testing.T, db *sql.DB, query string) []T {
	t.Helper()
	rows, err := db.Query(query)
	must(t, err)
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		must(t, rows.Scan(&v))
		out = append(out, v)
	}
	must(t, rows.Err())
	return out
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A consumer that follows the feed by cursor sees every row, while
// several writers change watched tables at once and take their time to
// commit: no seq becomes visible before a lower one. (On PostgreSQL this
// holds only because the feed's writers serialise on the write lock;
// without that lock the reader passes rows still uncommitted.)
func TestReaderNeverSkipsARow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		start, err := changes.Newest(ctx, db)
		must(t, err)
		began := time.Now()

		const writers, writes = 6, 25
		errs := make(chan error, writers)
		done := slowWrites(ctx, db, f, writers, writes, errs)

		// The reader: what a cursor consumer does, without compaction.
		seen := map[int64]bool{}
		cursor := start
		read := func() {
			rows, err := db.QueryContext(ctx, `SELECT seq FROM changes WHERE seq > ? ORDER BY seq`, cursor)
			must(t, err)
			defer rows.Close()
			for rows.Next() {
				var seq int64
				must(t, rows.Scan(&seq))
				seen[seq] = true
				cursor = seq
			}
			must(t, rows.Err())
		}
		for running := true; running; {
			select {
			case <-done:
				running = false
			default:
			}
			read()
		}
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		read()

		var all, missed []int64
		rows, err := db.QueryContext(ctx, `SELECT seq FROM changes WHERE seq > ? ORDER BY seq`, start)
		must(t, err)
		for rows.Next() {
			var seq int64
			must(t, rows.Scan(&seq))
			all = append(all, seq)
			if !seen[seq] {
				missed = append(missed, seq)
			}
		}
		must(t, rows.Err())
		if len(all) < writers*writes {
			t.Fatalf("the feed has %d rows after %d writes", len(all), writers*writes)
		}
		if len(missed) > 0 {
			t.Errorf("the reader passed %d of %d rows, e.g. %v", len(missed), len(all), missed[:min(len(missed), 5)])
		}
		// at is when the row was written, in Unix milliseconds.
		var first, last int64
		must(t, db.QueryRowContext(ctx, `SELECT MIN(at), MAX(at) FROM changes WHERE seq > ?`, start).Scan(&first, &last))
		if lo, hi := began.Add(-time.Second).UnixMilli(), time.Now().Add(time.Second).UnixMilli(); first < lo || last > hi {
			t.Errorf("at from %d to %d, want Unix milliseconds between %d and %d", first, last, lo, hi)
		}
	})
}

// slowWrites runs writers goroutines that each add writes persons by
// slowWrite, sending the first error of each to errs, and returns a
// channel closed when they are done.
func slowWrites(ctx context.Context, db *sql.DB, f *fixture, writers, writes int, errs chan<- error) <-chan struct{} {
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range writes {
				if err := slowWrite(ctx, db, f, w, i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}

// slowWrite adds a person in a transaction that waits a little before it
// commits, so that transactions overlap. Each adds a row of its own: no
// row lock orders the writers.
func slowWrite(ctx context.Context, db *sql.DB, f *fixture, w, i int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO persons (body_id, family_name, created, modified)
		VALUES (?, ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`, f.body, fmt.Sprintf("Muster %d-%d", w, i)); err != nil {
		return err
	}
	time.Sleep(time.Duration((w*7+i*3)%4) * time.Millisecond)
	return tx.Commit()
}

// A document gets new versions while the office attaches it elsewhere.
// On PostgreSQL both writers take the feed's lock, and the upload also
// locks the document's row, which the attachment's foreign key reads:
// neither may wait for the other in a circle (PostgreSQL would abort one
// as a deadlock). The window is one statement wide, so this test rarely
// meets it; the lock modes that close it are explained at
// documents' lockDocument.
func TestUploadWhileAttaching(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		dir := t.TempDir()
		blobs, err := fsblob.Open(filepath.Join(dir, "blobs"))
		must(t, err)
		svc := documents.NewService(documents.ServiceConfig{Store: documents.NewStore(db), Blobs: blobs, Ingester: ingesttest.Ingester{}})
		upload := func(i int) documents.Upload {
			p := filepath.Join(dir, fmt.Sprintf("v%d.pdf", i))
			must(t, os.WriteFile(p, []byte(fmt.Sprintf("%%PDF-Fassung %d", i)), 0o644))
			return documents.Upload{Path: p, FileName: "Vorlage.pdf", Uploader: "amt", Kind: documents.KindDraft}
		}
		added, err := svc.AddDocument(ctx, upload(0))
		must(t, err)
		doc := added.Document.ID

		const rounds = 15
		var wg sync.WaitGroup
		errs := make(chan error, 2*rounds)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 1; i <= rounds; i++ {
				if _, err := svc.AddVersion(ctx, doc, upload(i)); err != nil {
					errs <- fmt.Errorf("version %d: %w", i, err)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				if err := f.st.Attach(ctx, &sessions.Attachment{DocumentID: doc, AgendaItemID: f.committeeItem}); err != nil {
					errs <- fmt.Errorf("attachment %d: %w", i, err)
				}
			}
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// Consumers never miss a change across compactions: while writers add
// rows, two consumers read the feed at their own pace — each batch taken
// over in a transaction that claims and advances its cursor, some of them
// rolled back as by a crash — and the feed is compacted in small chunks
// all along. Each consumer sees every change exactly once, and in the end
// the feed holds only the newest row.
func TestCompactNeverLosesAChange(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		// Only the two consumers of the test hold the feed.
		_, err := db.Exec(`DELETE FROM changes_cursors`)
		must(t, err)
		start, err := changes.Newest(ctx, db)
		must(t, err)
		consumers := []string{"test/fast", "test/slow"}
		for _, c := range consumers {
			_, err := db.Exec(`INSERT INTO changes_cursors (consumer, seq) VALUES (?, ?)`, c, start)
			must(t, err)
		}

		const writers, writes = 3, 40
		errs := make(chan error, writers+len(consumers))
		writing := slowWrites(ctx, db, f, writers, writes, errs)

		seen := make([][]int64, len(consumers)) // person ids, in the order read
		var consuming sync.WaitGroup
		for n, c := range consumers {
			consuming.Add(1)
			go func() {
				defer consuming.Done()
				r := rand.New(rand.NewPCG(uint64(n), 15))
				for {
					done := false
					select {
					case <-writing:
						done = true
					default:
					}
					limit := 1 + r.IntN(3+7*(1-n)) // the slow one takes up to 3 rows
					persons, err := consume(ctx, db, c, limit, r.IntN(5) == 0)
					if err != nil {
						errs <- fmt.Errorf("%s: %w", c, err)
						return
					}
					seen[n] = append(seen[n], persons...)
					if done {
						cur, err := changes.Cursor(ctx, db, c)
						newest, err2 := changes.Newest(ctx, db)
						if err != nil || err2 != nil {
							errs <- fmt.Errorf("%s: %v %v", c, err, err2)
							return
						}
						if cur == newest {
							return
						}
					}
				}
			}()
		}
		consumed := make(chan struct{})
		go func() { consuming.Wait(); close(consumed) }()
		var deleted int64
		for compacting := true; compacting; {
			select {
			case <-consumed:
				compacting = false
			default:
			}
			n, err := changes.Compact(ctx, db, 3)
			if err != nil {
				t.Fatal(err)
			}
			deleted += n
			time.Sleep(time.Millisecond) // leave SQLite's lock to the others a moment
		}
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}

		want := column[int64](t, db, `SELECT id FROM persons WHERE family_name LIKE 'Muster %' ORDER BY id`)
		if len(want) != writers*writes {
			t.Fatalf("%d persons written, want %d", len(want), writers*writes)
		}
		for n, c := range consumers {
			got := slices.Clone(seen[n])
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s saw %d person changes (%d distinct), want each of %d once", c, len(got), len(slices.Compact(got)), len(want))
			}
		}
		t.Logf("%d rows compacted while %d and %d person changes were read", deleted, len(seen[0]), len(seen[1]))
		if deleted == 0 {
			t.Error("nothing was compacted while the consumers read")
		}
		_, err = changes.Compact(ctx, db, 3)
		must(t, err)
		var left int
		must(t, db.QueryRow(`SELECT COUNT(*) FROM changes`).Scan(&left))
		if left != 1 {
			t.Errorf("%d rows left after both consumers read everything, want the newest only", left)
		}
	})
}

// consume takes up to limit changes past consumer's cursor over, as a
// consumer does: in one transaction that claims the cursor and advances
// it. With crash, the transaction is rolled back instead, and nothing is
// taken over. It returns the persons the changes taken over name.
func consume(ctx context.Context, db *sql.DB, consumer string, limit int, crash bool) ([]int64, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	cur, err := changes.Claim(ctx, tx, consumer)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT seq, kind, object_id FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`, cur, limit)
	if err != nil {
		return nil, err
	}
	var persons []int64
	upto := cur
	for rows.Next() {
		var seq, id int64
		var kind string
		if err := rows.Scan(&seq, &kind, &id); err != nil {
			rows.Close()
			return nil, err
		}
		upto = seq
		if kind == "person" {
			persons = append(persons, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || upto == cur || crash {
		return nil, err
	}
	if err := changes.Advance(ctx, tx, consumer, upto); err != nil {
		return nil, err
	}
	return persons, tx.Commit()
}

// BenchmarkFirstCompaction prints what the first compaction of a year's
// feed at Munich scale costs on each database (400,000 rows, every
// consumer past them): its time, and the longest a writer that wants the
// lock every 10 ms waited meanwhile, in chunks of CompactChunk and in one
// DELETE. go test -run - -bench FirstCompaction -benchtime 1x
// ./sessions/changes/
func BenchmarkFirstCompaction(b *testing.B) {
	const rows = 400_000
	for _, dialect := range []sqldb.Dialect{sqldb.SQLite, sqldb.Postgres} {
		for _, chunk := range []int{changes.CompactChunk, rows} {
			b.Run(fmt.Sprintf("%s/chunk=%d", dialect, chunk), func(b *testing.B) {
				ctx := context.Background()
				db := dbtest.New(b, dialect).Open(b)
				migrate(b, db)
				var longest time.Duration
				for b.Loop() {
					b.StopTimer()
					_, err := db.Exec(`WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?)
					INSERT INTO changes (kind, object_id) SELECT 'person', x FROM n`, rows)
					must(b, err)
					// Only a writer's cursor, past everything.
					_, err = db.Exec(`DELETE FROM changes_cursors`)
					must(b, err)
					_, err = db.Exec(`INSERT INTO changes_cursors (consumer, seq) VALUES ('writer', ?)`, int64(1)<<40)
					must(b, err)
					stop, done := make(chan struct{}), make(chan struct{})
					go func() { // a writer that wants the lock every 10 ms
						defer close(done)
						for {
							select {
							case <-stop:
								return
							case <-time.After(10 * time.Millisecond):
							}
							start := time.Now()
							if _, err := db.Exec(`UPDATE changes_cursors SET seq = seq WHERE consumer = 'writer'`); err != nil {
								b.Error(err)
								return
							}
							longest = max(longest, time.Since(start))
						}
					}()
					b.StartTimer()
					n, err := changes.Compact(ctx, db, chunk)
					b.StopTimer()
					close(stop)
					<-done
					must(b, err)
					if n < rows-1 { // the newest stays
						b.Fatalf("compacted %d rows, want at least %d", n, rows)
					}
					b.StartTimer()
				}
				b.ReportMetric(float64(longest.Microseconds())/1000, "ms-longest-writer-wait")
			})
		}
	}
}
