package packet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/ratsmappe/ratsmappe"
)

// Key names the packet Build makes of in: a lowercase hex SHA-256 over
// everything the packet shows (body, committee, date line, location,
// audience, member, and per agenda item its number, title, public flag and
// documents' titles and SHA-256s), LayoutVersion and the pdfcpu version.
// Two inputs with the same Key make the same packet, apart from the
// creation date in its metadata. Like Build, Key ignores what the public
// packet leaves out, so passing a non-public item's documents or title to
// a public packet does not change its Key.
//
// Key returns an *ratsmappe.Error with code EINVALID if in is incomplete
// (see Build) or if a document's SHA256 is not 64 lowercase hex digits.
func Key(in Input) (string, error) {
	p, err := newPlan(in)
	if err != nil {
		return "", err
	}
	type doc struct{ Title, SHA256 string }
	type item struct {
		Number, Title string
		Public        bool
		Docs          []doc
	}
	k := struct {
		Layout                       int
		PDFCPU                       string
		Body, Organization, Location string
		Date, ShortDate              string
		Audience, Member             string
		Items                        []item
	}{
		Layout: LayoutVersion, PDFCPU: model.VersionStr,
		Body: p.body, Organization: p.organization, Location: p.location,
		Date: p.date, ShortDate: p.shortDate,
		Audience: p.audience, Member: p.member,
	}
	for _, it := range p.items {
		ki := item{Number: it.number, Title: it.title, Public: it.public}
		for _, i := range it.docs {
			d := p.docs[i]
			if !validSHA256(d.sha256) {
				return "", ratsmappe.Errorf(ratsmappe.EINVALID, "Das Dokument „%s“ zu %s hat keine gültige Prüfsumme.", d.title, it.number)
			}
			ki.Docs = append(ki.Docs, doc{Title: d.title, SHA256: d.sha256})
		}
		k.Items = append(k.Items, ki)
	}
	h := sha256.New()
	if err := json.NewEncoder(h).Encode(k); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// validSHA256 reports whether s is a lowercase hex SHA-256.
func validSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
