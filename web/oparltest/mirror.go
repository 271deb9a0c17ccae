// Package oparltest is a small OParl 1.1 client for tests: a mirror that
// copies an OParl API in full and then keeps its copy up to date the way
// the specification tells clients to (2.5 "Filter", 2.8 "Gelöschte
// Objekte"): it asks every external list of the body for the objects
// modified since the start of its previous sync, replaces what comes
// back and drops what comes back deleted. A test compares the mirror with
// a fresh full crawl (Crawl, Diff): if the server forgets to list a
// change or a deletion, the two differ.
package oparltest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"time"
)

// Snapshot is what a client holds of an API: every object of the body's
// external lists, by id, as the list served it (with what it embeds).
type Snapshot map[string]map[string]any

// bodyLists are the Body's fields that name external lists.
var bodyLists = []string{"organization", "person", "meeting", "paper", "membership", "legislativeTermList",
	"locationList", "agendaItem", "consultation", "file"}

// Mirror is an incrementally synced copy of one OParl API.
type Mirror struct {
	System string       // the URL of the System object
	Client *http.Client // http.DefaultClient if nil
	// Now is the client's clock (time.Now if nil); a sync remembers when
	// it started and asks the next time for what changed since then.
	Now     func() time.Time
	Objects Snapshot
	// Deleted counts the deleted stubs the syncs met, by type (the last
	// segment of the type URL), for tests that want to see them.
	Deleted map[string]int

	cursor time.Time
}

// Sync brings the mirror up to date: a full crawl the first time, then
// the lists with modified_since set to the start of the previous sync,
// truncated to the second (OParl's date-time has no fractions; reading
// the same second twice costs nothing, missing it would lose a change).
func (m *Mirror) Sync(ctx context.Context) error {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	start := now().Truncate(time.Second)
	if m.Objects == nil {
		m.Objects, m.Deleted = Snapshot{}, map[string]int{}
	}
	c := client{ctx: ctx, http: m.Client}
	var params url.Values
	if !m.cursor.IsZero() {
		params = url.Values{"modified_since": {m.cursor.Format(time.RFC3339)}}
	}
	err := c.eachListObject(m.System, params, func(o map[string]any) {
		id, _ := o["id"].(string)
		if o["deleted"] == true {
			typ, _ := o["type"].(string)
			m.Deleted[typ[strings.LastIndex(typ, "/")+1:]]++
			delete(m.Objects, id)
			return
		}
		m.Objects[id] = o
	})
	if err != nil {
		return err
	}
	m.cursor = start
	return nil
}

// Crawl reads every external list of every body of the API at system in
// full, as a new client would.
func Crawl(ctx context.Context, hc *http.Client, system string) (Snapshot, error) {
	out := Snapshot{}
	c := client{ctx: ctx, http: hc}
	err := c.eachListObject(system, nil, func(o map[string]any) {
		if o["deleted"] == true {
			return // a list without modified_since has none; a server that sends them is caught by Diff
		}
		id, _ := o["id"].(string)
		out[id] = o
	})
	return out, err
}

// Diff lists the differences between two snapshots, one line each:
// objects only in one, and objects whose JSON differs, by id.
func Diff(got, want Snapshot) []string {
	var out []string
	for id, w := range want {
		g, ok := got[id]
		switch {
		case !ok:
			out = append(out, "missing "+id)
		case !reflect.DeepEqual(g, w):
			gb, _ := json.Marshal(g)
			wb, _ := json.Marshal(w)
			out = append(out, fmt.Sprintf("differs %s:\n  have %s\n  want %s", id, gb, wb))
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			out = append(out, "extra "+id)
		}
	}
	sort.Strings(out)
	return out
}

type client struct {
	ctx  context.Context
	http *http.Client
}

func (c client) get(u string) (map[string]any, error) {
	req, err := http.NewRequestWithContext(c.ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	hc := c.http
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	return v, nil
}

// eachListObject calls fn with every object of every external list of
// every body of system, all pages, with params added to the lists' URLs.
func (c client) eachListObject(system string, params url.Values, fn func(map[string]any)) error {
	sys, err := c.get(system)
	if err != nil {
		return err
	}
	bodies, _ := sys["body"].(string)
	return c.eachPage(bodies, nil, func(body map[string]any) error {
		for _, field := range bodyLists {
			list, _ := body[field].(string)
			if list == "" {
				return fmt.Errorf("body %v has no %s", body["id"], field)
			}
			if err := c.eachPage(list, params, func(o map[string]any) error { fn(o); return nil }); err != nil {
				return err
			}
		}
		return nil
	})
}

// eachPage calls fn with every object of the list at u, following
// links.next.
func (c client) eachPage(u string, params url.Values, fn func(map[string]any) error) error {
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	for u != "" {
		page, err := c.get(u)
		if err != nil {
			return err
		}
		data, _ := page["data"].([]any)
		for _, d := range data {
			o, ok := d.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: an element of data is no object", u)
			}
			if err := fn(o); err != nil {
				return err
			}
		}
		links, _ := page["links"].(map[string]any)
		u, _ = links["next"].(string)
	}
	return nil
}
