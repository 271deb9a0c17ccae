package oparlimport_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/sessions/oparlimport"
	"github.com/ratsmappe/ratsmappe/sessions/oparlimport/oparltest"
)

func twoHosts(t *testing.T) *oparltest.TwoHosts {
	t.Helper()
	h, err := oparltest.NewTwoHosts()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// TestOtherHosts: a source whose object URLs, redirects and list pages
// lead to another host cannot make the importer fetch from there — each
// such URL is reported with what and why, the rest imported — until the
// other host is allowed; then the next run brings what was left out (the
// objects that needed it were not recorded as complete).
func TestOtherHosts(t *testing.T) {
	h := twoHosts(t)
	e := newEnv(t)
	ctx := context.Background()
	res, err := oparlimport.Run(ctx, e.config(t), h.System())
	if err != nil {
		t.Fatalf("import broke off: %v (%s)", err, res.Summary())
	}
	if n := h.OtherHits.Load(); n != 0 {
		t.Errorf("%d requests reached the other host", n)
	}
	if res.Created["meeting"] != 1 || res.Created["paper"] != 1 || res.Created["document"] != 2 || res.Created["agenda_item"] != 0 {
		t.Errorf("without the other host: %s", res.Summary())
	}
	if len(res.Refused) != oparltest.Refusals {
		t.Errorf("%d URLs refused, want %d: %+v", len(res.Refused), oparltest.Refusals, res.Refused)
	}
	vias := 0
	for _, r := range res.Refused {
		if r.Host != h.OtherHost() || !strings.HasPrefix(r.URL, h.Other.URL) || !strings.Contains(r.Message, "--allow-host "+h.OtherHost()) || r.MessageEN == "" {
			t.Errorf("refusal %+v", r)
		}
		if r.Via != "" {
			vias++
			if !strings.HasPrefix(r.Via, h.Source.URL) || !strings.Contains(r.Message, "leitet auf") {
				t.Errorf("redirect refusal %+v", r)
			}
		}
	}
	if vias != 2 {
		t.Errorf("%d refused redirects, want 2 (agenda item and invitation)", vias)
	}
	if !strings.Contains(strings.Join(res.Skipped, "\n"), "anderer Host") {
		t.Errorf("skipped: %q", res.Skipped)
	}

	cfg := e.config(t)
	cfg.AllowHosts = []string{h.OtherHost()}
	res, err = oparlimport.Run(ctx, cfg, h.System())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Refused) != 0 || h.OtherHits.Load() == 0 {
		t.Errorf("with the other host allowed: refused %+v, %d requests there", res.Refused, h.OtherHits.Load())
	}
	if res.Created["meeting"] != 1 || res.Updated["meeting"] != 1 || res.Unchanged["paper"] != 1 || res.Created["organization"] != 1 ||
		res.Created["agenda_item"] != 1 || res.Created["document"] != 2 {
		t.Errorf("with the other host allowed: %s", res.Summary())
	}
	if got := e.count(t, "documents"); got != 4 {
		t.Errorf("%d documents, want 4", got)
	}
}

// TestAllowHosts: what --allow-host accepts, and what it lets through.
func TestAllowHosts(t *testing.T) {
	h := twoHosts(t)
	e := newEnv(t)
	for _, bad := range []string{"https://files.example.org/pfad", "ftp://files.example.org", "files.example.org/x", "user@host", ":8080"} {
		cfg := e.config(t)
		cfg.AllowHosts = []string{bad}
		if _, err := oparlimport.Run(context.Background(), cfg, h.System()); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("--allow-host %q: %v", bad, err)
		}
	}
	// The other host in its three forms: the list page there is fetched
	// (and, as the only new thing without --full, the second meeting).
	for _, allow := range []string{h.OtherHost(), strings.Split(h.OtherHost(), ":")[0], h.Other.URL} {
		cfg := e.config(t)
		cfg.AllowHosts = []string{"files.example.org", allow}
		before := h.OtherHits.Load()
		if _, err := oparlimport.Run(context.Background(), cfg, h.System()); err != nil {
			t.Fatal(err)
		}
		if h.OtherHits.Load() == before {
			t.Errorf("--allow-host %s: nothing fetched from %s", allow, h.OtherHost())
		}
	}
}

// TestDeadline: a run that reaches its deadline stops with a readable
// error, and the next continues it.
func TestDeadline(t *testing.T) {
	h := twoHosts(t)
	e := newEnv(t)
	cfg := e.config(t)
	cfg.Deadline = time.Nanosecond
	_, err := oparlimport.Run(context.Background(), cfg, h.System())
	if ratsmappe.ErrorCode(err) != ratsmappe.EUNAVAILABLE || !strings.Contains(ratsmappe.ErrorMessage(err), "Frist von 1ns") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("past the deadline: %v", err)
	}
	res, err := oparlimport.Run(context.Background(), e.config(t), h.System())
	if err != nil || res.Created["paper"] != 1 {
		t.Fatalf("next run: %v %+v", err, res)
	}
}
