package oparl

import (
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzOParlQuery parses arbitrary OParl list parameters: a query is
// refused or its canonical page URL (with its cursor) parses back to the same filters.
func FuzzOParlQuery(f *testing.F) {
	for _, s := range []string{"created_since=2026-01-01T00:00:00%2B01:00&limit=5&page=2", "limit=0", "page=-1", "modified_until=x",
		"omit_internal=true&limit=99999999999999999999", "page=9223372036854775807&limit=200", "after=42&limit=3", "after=-1", "a=%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := httptest.NewRequest("GET", "/oparl/v1/body/1/meeting", nil)
		r.URL.RawQuery = raw
		q, err := parseOParlQuery(r)
		if err != nil {
			return
		}
		if q.limit < 1 || q.limit > oparlMaxPageSize || q.page < 1 {
			t.Fatalf("%q: limit %d page %d", raw, q.limit, q.page)
		}
		u, err := url.Parse(q.pageURL("http://x/oparl/v1/body/1/meeting", q.after))
		if err != nil {
			t.Fatalf("%q: page URL: %v", raw, err)
		}
		r2 := httptest.NewRequest("GET", "/", nil)
		r2.URL = u
		q2, err := parseOParlQuery(r2)
		if err != nil {
			t.Fatalf("%q: canonical URL %s refused: %v", raw, u, err)
		}
		if !q2.createdSince.Equal(q.createdSince) || !q2.modifiedUntil.Equal(q.modifiedUntil) || q2.limit != q.limit || q2.after != q.after || q2.omitInternal != q.omitInternal {
			t.Fatalf("%q: canonical URL %s means something else", raw, u)
		}
	})
}
