package packet_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions/packet"
)

// countingInput is sampleInput whose documents count their openings.
func countingInput(t *testing.T, opened *atomic.Int64) packet.Input {
	t.Helper()
	in := sampleInput(t, "Anna Beispiel")
	for i := range in.Items {
		for j, d := range in.Items[i].Documents {
			rc, err := d.Open()
			if err != nil {
				t.Fatal(err)
			}
			pdf, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			in.Items[i].Documents[j] = docFor(d.Title, pdf, opened)
		}
	}
	return in
}

// contents returns a function that reads and closes the file a Cache
// method returned, failing t on an error: contents(t)(c.Get(key)).
func contents(t *testing.T) func(*os.File, error) []byte {
	return func(f *os.File, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

// dirFiles lists the names in dir.
func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestCacheBuildsOnlyWhenAnInputChanges(t *testing.T) {
	c := &packet.Cache{Dir: filepath.Join(t.TempDir(), "packets")}
	var opened atomic.Int64
	in := countingInput(t, &opened)

	first := contents(t)(c.GetOrBuild(context.Background(), in))
	if got, want := opened.Load(), int64(3); got != want {
		t.Fatalf("first GetOrBuild opened %d documents, want %d", got, want)
	}
	if got := pageCount(t, first); got != 8 {
		t.Fatalf("cached packet has %d pages, want 8", got)
	}

	again := contents(t)(c.GetOrBuild(context.Background(), in))
	if got, want := opened.Load(), int64(3); got != want {
		t.Errorf("second GetOrBuild opened documents (%d openings in all), want none", got)
	}
	if !bytes.Equal(again, first) {
		t.Errorf("second GetOrBuild returned other bytes")
	}

	in.Items[0].Documents[0].Title = "Beschlussvorlage (neu)"
	changed := contents(t)(c.GetOrBuild(context.Background(), in))
	if got, want := opened.Load(), int64(6); got != want {
		t.Errorf("GetOrBuild after a change opened %d documents in all, want %d", got, want)
	}
	if got := pdftotext(t, changed, 2, 2, false, "-raw"); !strings.Contains(got, "Beschlussvorlage (neu)") {
		t.Errorf("rebuilt packet lacks the new title:\n%s", got)
	}

	key, err := packet.Key(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := contents(t)(c.Get(key)); !bytes.Equal(got, changed) {
		t.Errorf("Get(Key(in)) differs from what GetOrBuild returned")
	}
	names := dirFiles(t, c.Dir)
	if len(names) != 2 {
		t.Errorf("cache holds %v, want two packets and nothing else", names)
	}
}

// Concurrent requests for the same packet build it once.
func TestCacheBuildsAKeyOnceAtATime(t *testing.T) {
	c := &packet.Cache{Dir: t.TempDir()}
	var opened atomic.Int64
	in := countingInput(t, &opened)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := c.GetOrBuild(context.Background(), in)
			if err != nil {
				errs <- err
				return
			}
			f.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("GetOrBuild: %v", err)
	}
	if got, want := opened.Load(), int64(3); got != want {
		t.Errorf("8 concurrent GetOrBuild opened %d documents, want %d (one build)", got, want)
	}
}

func TestCacheFailedBuildLeavesNothing(t *testing.T) {
	c := &packet.Cache{Dir: t.TempDir()}
	in := sampleInput(t, "Anna Beispiel")
	in.Items[0].Documents[0] = docFor("Kaputt", []byte("kein PDF"), nil)
	if _, err := c.GetOrBuild(context.Background(), in); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
		t.Fatalf("GetOrBuild: %v, want EINVALID", err)
	}
	if names := dirFiles(t, c.Dir); len(names) != 0 {
		t.Errorf("cache holds %v after a failed build, want nothing", names)
	}
}

func TestCacheGetAndPut(t *testing.T) {
	c := &packet.Cache{Dir: t.TempDir()}
	key := strings.Repeat("ab", 32)
	if _, err := c.Get(key); ratsmappe.ErrorCode(err) != ratsmappe.ENOTFOUND {
		t.Errorf("Get of a missing key: %v, want ENOTFOUND", err)
	}
	if err := c.Put(key, strings.NewReader("%PDF-1.7 …")); err != nil {
		t.Fatal(err)
	}
	if got := string(contents(t)(c.Get(key))); got != "%PDF-1.7 …" {
		t.Errorf("Get = %q, want what Put stored", got)
	}
	for _, bad := range []string{"", "../../etc/passwd", strings.Repeat("AB", 32), key + "0"} {
		if _, err := c.Get(bad); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("Get(%q): %v, want EINVALID", bad, err)
		}
		if err := c.Put(bad, strings.NewReader("x")); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("Put(%q): %v, want EINVALID", bad, err)
		}
	}
}
