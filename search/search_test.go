package search_test

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/ratsmappe/ratsmappe"
	"github.com/ratsmappe/ratsmappe/search"
)

// TestAllows is the rule every backend implements, as a table.
func TestAllows(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var (
		public   = search.Access{Principals: []string{search.Public}}
		members  = search.Access{Principals: []string{search.Org(5)}}
		excluded = search.Access{Principals: []string{search.Org(5)}, Denied: []string{search.Person(7)}}
		embargo  = search.Access{Principals: []string{search.Public}, NotBefore: now.Add(time.Hour)}
		ended    = search.Access{Principals: []string{search.Public}, NotBefore: now}
		nobody   = search.Access{}
	)
	var (
		anonymous = search.Viewer{}
		citizen   = search.Viewer{Principals: []string{search.Public}}
		member    = search.Viewer{Principals: []string{search.Public, search.Org(5), search.Person(3)}}
		person7   = search.Viewer{Principals: []string{search.Public, search.Org(5), search.Person(7)}}
		staff     = search.Viewer{Principals: []string{search.Staff}}
	)
	tests := []struct {
		name   string
		access search.Access
		viewer search.Viewer
		want   bool
	}{
		{"public, citizen", public, citizen, true},
		{"public, no principals", public, anonymous, false},
		{"members, citizen", members, citizen, false},
		{"members, member", members, member, true},
		{"excluded, member", excluded, member, true},
		{"excluded, the excluded member", excluded, person7, false},
		{"embargo, citizen", embargo, citizen, false},
		{"embargo, staff", embargo, staff, true},
		{"embargo ended, citizen", ended, citizen, true},
		{"no principals, member", nobody, member, false},
		{"no principals, staff", nobody, staff, true},
		{"excluded, staff", excluded, staff, true},
	}
	for _, tt := range tests {
		if got := tt.access.Allows(tt.viewer, now); got != tt.want {
			t.Errorf("%s: Allows = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		text string
		want search.Parsed
	}{
		{"Haushalt Schule", search.Parsed{Words: []string{"Haushalt", "Schule"}}},
		{`"öffentlicher Personennahverkehr" Karlsruhe`, search.Parsed{Words: []string{"Karlsruhe"}, Phrases: []string{"öffentlicher Personennahverkehr"}}},
		{`„Werben fürs Sterben“`, search.Parsed{Phrases: []string{"Werben fürs Sterben"}}},
		{`»Stadt  und Land«`, search.Parsed{Phrases: []string{"Stadt und Land"}}},
		{`"nicht geschlossen`, search.Parsed{Phrases: []string{"nicht geschlossen"}}},
		{"Vorlage 2025/0123", search.Parsed{Words: []string{"Vorlage"}, References: []string{"2025/0123"}}},
		{"2025/123,", search.Parsed{References: []string{"2025/0123"}}},
		{"(Radweg)?", search.Parsed{Words: []string{"Radweg"}}},
		{"1/2 2025/123456", search.Parsed{Words: []string{"1/2", "2025/123456"}}},
		{"  ", search.Parsed{}},
	}
	for _, tt := range tests {
		got := search.Parse(tt.text)
		if !slices.Equal(got.Words, tt.want.Words) || !slices.Equal(got.Phrases, tt.want.Phrases) || !slices.Equal(got.References, tt.want.References) {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.text, got, tt.want)
		}
	}
}

func TestSnippet(t *testing.T) {
	text := "Der Rat beschließt <b>Gebühren</b> & Beiträge."
	i := strings.Index(text, "Gebühren")
	s := search.MakeSnippet(text, []search.Match{{Start: i, End: i + len("Gebühren"), Term: "gebuhr"}})
	if got, want := string(s.HTML()), "Der Rat beschließt &lt;b&gt;<mark>Gebühren</mark>&lt;/b&gt; &amp; Beiträge."; got != want {
		t.Errorf("HTML = %s\nwant   %s", got, want)
	}
	if got, want := s.String(), text; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

func TestSnippetPassage(t *testing.T) {
	long := strings.Repeat("Füllwort ", 100) + "Radweg\n\nentlang   der Rheinstraße " + strings.Repeat("Füllwort ", 100)
	i := strings.Index(long, "Radweg")
	s := search.MakeSnippet(long, []search.Match{{Start: i, End: i + 6, Term: "radweg"}})
	got := s.String()
	if !strings.HasPrefix(got, "… ") || !strings.HasSuffix(got, " …") {
		t.Errorf("snippet %q is not marked as cut on both ends", got)
	}
	if !strings.Contains(got, "Radweg entlang der Rheinstraße") {
		t.Errorf("snippet %q does not collapse white space", got)
	}
	if len(got) > search.SnippetSize+40 {
		t.Errorf("snippet is %d bytes long", len(got))
	}
	if s := search.MakeSnippet("kurz", nil); s.String() != "kurz" {
		t.Errorf("snippet without matches = %q", s.String())
	}
}

func TestQueryNormalize(t *testing.T) {
	q, err := search.Query{Text: "  Haushalt  "}.Normalize()
	if err != nil {
		t.Fatal(err)
	}
	if q.Text != "Haushalt" || q.Limit != search.DefaultLimit || q.Now.IsZero() {
		t.Errorf("Normalize = %+v", q)
	}
	for _, bad := range []search.Query{{Limit: -1}, {Limit: search.MaxLimit + 1}, {Offset: search.MaxOffset + 1}, {Text: strings.Repeat("x", search.MaxQueryLength+1)}} {
		if _, err := bad.Normalize(); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("Normalize(%+v) error = %v, want %s", bad, err, ratsmappe.EINVALID)
		}
	}
}

func TestRecordValidate(t *testing.T) {
	ok := search.Record{Document: 1, Version: 1, Page: 1, Access: search.Access{Principals: []string{search.Public}}}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(%+v) = %v", ok, err)
	}
	for _, bad := range []search.Record{
		{Document: 0, Version: 1, Page: 1},
		{Document: 1, Version: 0, Page: 1},
		{Document: 1, Version: 1, Page: 0},
		{Document: 1, Version: 1, Page: 1, Access: search.Access{Principals: []string{""}}},
		{Document: 1, Version: 1, Page: 1, Access: search.Access{Denied: []string{`a"b`}}},
	} {
		if err := bad.Validate(); ratsmappe.ErrorCode(err) != ratsmappe.EINVALID {
			t.Errorf("Validate(%+v) = %v, want %s", bad, err, ratsmappe.EINVALID)
		}
	}
}

// TestSnippetOwnsItsText: the index cuts snippets out of its storage's
// buffer, which the next page read overwrites; a snippet must not change
// with it (search/bleve no longer copies the spans).
func TestSnippetOwnsItsText(t *testing.T) {
	for _, text := range []string{
		"Der Rat beschließt die Gebühren für das Jahr.",
		"kurz",
		strings.Repeat("Füllwort ", 60) + "Gebühren   steigen " + strings.Repeat("Füllwort ", 60),
	} {
		buf := []byte(text)
		view := unsafe.String(unsafe.SliceData(buf), len(buf))
		var ms []search.Match
		if i := strings.Index(text, "Gebühren"); i >= 0 {
			ms = []search.Match{{Start: i, End: i + len("Gebühren"), Term: "gebuhr"}}
		}
		for _, m := range [][]search.Match{ms, nil} {
			s := search.MakeSnippet(view, m)
			want := s.String()
			for i := range buf {
				buf[i] = 'x'
			}
			if got := s.String(); got != want {
				t.Fatalf("snippet changed with its text's buffer: %q, was %q", got, want)
			}
			copy(buf, text)
		}
	}
}
