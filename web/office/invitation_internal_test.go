package office

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/ratsmappe/ratsmappe/access"
	"github.com/ratsmappe/ratsmappe/web/request"
)

// A member who was answered and closed the page at once has still opened
// it: the record does not end with the request's connection.
func TestOpeningRecordedAfterTheClientLeft(t *testing.T) {
	for _, aside := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		ctx = request.WithViewer(ctx, access.Viewer{Role: access.RoleMember, PersonID: 7}, false)
		rc := chi.NewRouteContext()
		rc.URLParams.Add("id", "42")
		r := httptest.NewRequest("GET", "/meetings/42", nil).WithContext(context.WithValue(ctx, chi.RouteCtxKey, rc))
		done := make(chan error, 1)
		h := recordAfter(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			cancel() // the client leaves once answered
		}, aside, func(ctx context.Context, person, id int64) error {
			if person != 7 || id != 42 {
				t.Errorf("recorded person %d, object %d", person, id)
			}
			done <- ctx.Err()
			return nil
		})
		h(httptest.NewRecorder(), r)
		if err := <-done; err != nil {
			t.Errorf("aside %v: the record ran with an ended context: %v", aside, err)
		}
	}
}
