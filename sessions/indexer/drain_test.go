package indexer_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/internal/dbtest"
	"github.com/ratsmappe/ratsmappe/internal/sqldb"
	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/sessions"
	"github.com/ratsmappe/ratsmappe/sessions/indexer"
)

// A rebuild in small batches indexes every document of an outbox that
// holds several rows per document, interleaved, each document once, and
// leaves only the rows not due yet; a row due later that comes first in
// the outbox does not stop a batch from filling.
func TestRebuildTakesEachDocumentOnce(t *testing.T) { dbtest.Each(t, testRebuildTakesEachDocumentOnce) }

func testRebuildTakesEachDocumentOnce(t *testing.T, db *sql.DB) {
	c := newCouncil(t, db)
	ctx := context.Background()
	// A row due in a day, older than every row the rebuild adds.
	_, err := db.ExecContext(ctx, `INSERT INTO search_outbox (consumer, document_id, due) VALUES (?, ?, ?)`,
		indexer.DefaultConsumer, c.doc, c.clock.now().Add(24*time.Hour).UnixMilli())
	must(t, err)
	docs := []int64{c.doc}
	for i := range 12 {
		doc := c.upload(t, fmt.Sprintf("Radwegebau Abschnitt %d", i))
		a := &sessions.Attachment{DocumentID: doc, AgendaItemID: c.item}
		must(t, c.store.Attach(ctx, a))
		must(t, c.store.SetAttachmentPublic(ctx, a.ID, true))
		docs = append(docs, doc)
	}
	shared := &counting{writes: map[int64]int{}}
	x := indexer.New(indexer.Config{DB: db, Store: c.store, Now: c.clock.now, FillBatch: 5,
		Open: func(ctx context.Context, fresh bool) (search.Index, error) {
			idx, err := c.bleve(ctx, fresh)
			shared.idx = idx
			return shared, err
		}})
	var last, total int
	must(t, x.Reindex(ctx, func(done, of int) { last, total = done, of }))
	if last != len(docs) || total != len(docs) {
		t.Errorf("progress ended at %d of %d, want %d of %d", last, total, len(docs), len(docs))
	}
	for _, d := range docs {
		if n := shared.writes[d]; n != 1 {
			t.Errorf("document %d written %d times, want once", d, n)
		}
	}
	var left int
	must(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM search_outbox`).Scan(&left))
	if left != 1 {
		t.Errorf("%d rows left in the outbox, want the one due tomorrow", left)
	}
	defer shared.idx.Close()
	res, err := shared.idx.Search(ctx, search.Query{Text: "Radwegebau", Viewer: access.SearchViewer(access.Viewer{}), Limit: search.MaxLimit})
	must(t, err)
	if res.Total != len(docs) {
		t.Errorf("the citizen finds %d documents, want %d", res.Total, len(docs))
	}
}

// A batch reads the outbox through indexes that give it the rows it
// needs: the oldest due rows in order, and the rows of the batch's
// documents. SQLite, which has no statistics, chose search_outbox
// (consumer, due) for both and read (and sorted) every due row of the
// outbox for each batch, so that a rebuild took time quadratic in the
// documents: ten years did not finish in 15 minutes. (PostgreSQL plans
// with statistics; its plans are not pinned here.)
func TestBatchReadsOnlyItsRows(t *testing.T) {
	db := dbtest.Open(t, sqldb.SQLite)
	c := newCouncil(t, db)
	ctx := context.Background()
	for _, tc := range []struct {
		query string
		args  []any
		want  string
	}{
		{indexer.PickQuery, []any{"search", 0, 0, 100}, "USING INDEX search_outbox_order (consumer=? AND id>?)"},
		{indexer.BatchRowsQuery, []any{"search", fmt.Sprintf("[%d]", c.doc), 0}, "USING INDEX search_outbox_document (consumer=? AND document_id=?)"},
	} {
		rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+tc.query, tc.args...)
		must(t, err)
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			must(t, rows.Scan(&id, &parent, &unused, &detail))
			plan = append(plan, detail)
		}
		must(t, rows.Err())
		rows.Close()
		got := strings.Join(plan, "; ")
		if !strings.Contains(got, "SEARCH search_outbox "+tc.want) || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("%s\nplan: %s\nwant search_outbox %s, no temporary b-tree", tc.query, got, tc.want)
		}
	}
}
