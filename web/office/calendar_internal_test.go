package office

import (
	"testing"
	"time"

	"github.com/ratsmappe/ratsmappe/web/render"
)

// The calendar's heading names its month in the page's language.
func TestMonthAndYear(t *testing.T) {
	m := time.Date(2026, time.March, 1, 0, 0, 0, 0, render.Berlin)
	for lang, want := range map[string]string{"de": "März 2026", "en": "March 2026"} {
		if got := monthAndYear(m, lang); got != want {
			t.Errorf("monthAndYear(%s) = %q, want %q", lang, got, want)
		}
	}
}
