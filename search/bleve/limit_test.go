package bleve

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/search"
)

// A query waits while Options.Concurrency queries are computed, and gives
// up when its context ends; answers from the cache do not wait.
func TestConcurrencyBound(t *testing.T) {
	x, err := Create(t.TempDir(), Options{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rec := search.Record{Document: 1, Page: 1, Version: 1, Title: "Haushalt", Text: "Der Haushalt der Stadt.",
		Access: search.Access{Principals: []string{search.Public}}}
	if err := x.Index(context.Background(), []search.Record{rec}); err != nil {
		t.Fatal(err)
	}
	q := search.Query{Text: "Haushalt", Viewer: search.Viewer{Principals: []string{search.Public}}}
	cached, err := x.Search(context.Background(), q)
	if err != nil || cached.Total != 1 {
		t.Fatalf("Search = %+v, %v", cached, err)
	}

	release, err := x.acquire(context.Background()) // a query being computed
	if err != nil {
		t.Fatal(err)
	}
	if r, err := x.Search(context.Background(), q); err != nil || r.Total != 1 {
		t.Fatalf("cached Search while busy = %+v, %v", r, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	q.Text = "Stadt"
	if _, err := x.Search(ctx, q); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Search while busy = %v, want the context's error", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := x.Search(context.Background(), q)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("Search did not wait: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
