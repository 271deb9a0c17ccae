package office

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ratsmappe/ratsmappe/web/request"
)

// A JSON body of the office's API decodes or is refused, and the times
// it carries parse or are refused, without a panic.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"organization_id":1,"name":"x","start":"2026-01-01T10:00"}`, `{"name":`, `[]`, `{"unknown":1}`, `{"start":"2026-13-45T99:99"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/api/v1/meetings", strings.NewReader(body))
		var in meetingInput
		if err := request.Decode(r, &in); err != nil {
			return
		}
		if in.Start != nil {
			apiTime(*in.Start) // must not panic
		}
	})
}
