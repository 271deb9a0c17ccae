package bleve

import (
	"strconv"
	"sync"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/document"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/ratsmappe/ratsmappe/search"
	"github.com/ratsmappe/ratsmappe/search/german"
)

// Fields of a record in the index.
const (
	fieldText      = "text"      // page text: stems, positions; stored
	fieldAnalysis  = "tv"        // the text's tokens, encoded (snippet.go); stored only
	fieldTitle     = "title"     // stems of the title; stored
	fieldRef       = "ref"       // paper reference, exact; stored
	fieldACL       = "acl"       // Access.Principals
	fieldDenied    = "deny"      // Access.Denied
	fieldNotBefore = "nb"        // Access.NotBefore, unix seconds; absent if zero
	fieldCommittee = "committee" // exact; doc values (facet); stored
	fieldKind      = "kind"      // exact; doc values (facet); stored
	fieldYear      = "year"      // of Date; doc values (facet)
	fieldDay       = "day"       // unix seconds of Date, decimal; doc values (date filter, hits)
	fieldMeeting   = "meeting"   // exact (filter); stored
	fieldVersion   = "version"   // stored only
)

const (
	optKeyword   = index.IndexField
	optFacet     = index.IndexField | index.StoreField | index.DocValues
	optStoreOnly = index.StoreField
)

// buildDocument returns the Bleve document of r, with its text analysed
// by a.
func buildDocument(a *german.Analyzer, r *search.Record) *document.Document {
	pa := &pageAnalysis{analyzer: a, text: r.Text}
	d := document.NewDocument(search.DocID(r.Document, r.Page))
	keyword := func(name, value string, opts index.FieldIndexingOptions) {
		d.AddField(document.NewTextFieldCustom(name, nil, []byte(value), opts, nil))
	}

	d.AddField(document.NewTextFieldCustom(fieldText, nil, []byte(r.Text),
		index.IndexField|index.StoreField|index.IncludeTermVectors, textStream{pa}))
	d.AddField(analysisField{document.NewTextFieldCustom(fieldAnalysis, nil, nil, index.StoreField, nil), pa})
	// Title and reference are stored with every page, for the hit, but
	// searched on page 1 only: a document found by its title opens on its
	// first page, and only pages whose text matches are listed as matches.
	findable := index.StoreField
	if r.Page == 1 {
		findable |= index.IndexField
	}
	d.AddField(document.NewTextFieldCustom(fieldTitle, nil, []byte(r.Title), findable, titleAnalyzer{a}))
	if r.Reference != "" {
		keyword(fieldRef, r.Reference, findable)
	}
	for _, p := range r.Access.Principals {
		keyword(fieldACL, p, optKeyword)
	}
	for _, p := range r.Access.Denied {
		keyword(fieldDenied, p, optKeyword)
	}
	if !r.Access.NotBefore.IsZero() {
		d.AddField(document.NewNumericFieldWithIndexingOptions(fieldNotBefore, nil,
			float64(r.Access.NotBefore.Unix()), index.IndexField))
	}
	if r.Committee != "" {
		keyword(fieldCommittee, r.Committee, optFacet)
	}
	if r.Kind != "" {
		keyword(fieldKind, r.Kind, optFacet)
	}
	if !r.Date.IsZero() {
		keyword(fieldYear, strconv.Itoa(r.Date.Year()), index.IndexField|index.DocValues)
		keyword(fieldDay, strconv.FormatInt(r.Date.Unix(), 10), index.IndexField|index.DocValues)
	}
	if r.Meeting != "" {
		keyword(fieldMeeting, r.Meeting, optKeyword|optStoreOnly)
	}
	keyword(fieldVersion, strconv.Itoa(r.Version), optStoreOnly)
	return d
}

// pageAnalysis analyses a page's text once for the two fields made from
// it (the text's terms, the stored analysis), whichever Bleve asks first.
type pageAnalysis struct {
	analyzer *german.Analyzer
	text     string

	once  sync.Once
	terms analysis.TokenStream
	enc   []byte // the stored analysis (snippet.go)
}

func (p *pageAnalysis) run() {
	p.once.Do(func() {
		// One backing array for all tokens of the page, and one for all
		// their terms (Bleve keeps them until the segment is built).
		toks := make([]analysis.Token, 0, len(p.text)/8)
		buf := make([]byte, 0, len(p.text)*2)
		term := func(t string) []byte {
			start := len(buf)
			buf = append(buf, t...)
			return buf[start:len(buf):len(buf)]
		}
		enc := make([]byte, 0, len(p.text))
		var prev german.Token
		p.analyzer.Analyze(p.text, func(t german.Token) {
			enc = appendToken(enc, t, prev)
			prev = t
			// Positions are kept for phrases; byte offsets are not
			// (snippets read the stored analysis), so they are left 0,
			// which zap encodes in a byte each.
			toks = append(toks, analysis.Token{
				Term:     term(t.Term),
				Position: t.Position,
				Type:     analysis.AlphaNumeric,
			})
		})
		p.terms = streamOf(toks)
		p.enc = enc
	})
}

func streamOf(toks []analysis.Token) analysis.TokenStream {
	s := make(analysis.TokenStream, len(toks))
	for i := range toks {
		s[i] = &toks[i]
	}
	return s
}

// analysisField is the stored field of a page's encoded analysis, made
// when Bleve asks for its value.
type analysisField struct {
	*document.TextField
	p *pageAnalysis
}

func (f analysisField) Value() []byte {
	f.p.run()
	return f.p.enc
}

// textStream is the analyzer of the text field of one page.
type textStream struct{ p *pageAnalysis }

func (s textStream) Analyze([]byte) analysis.TokenStream {
	s.p.run()
	return s.p.terms
}

// titleAnalyzer analyses titles.
type titleAnalyzer struct{ a *german.Analyzer }

func (t titleAnalyzer) Analyze(b []byte) analysis.TokenStream {
	var toks []analysis.Token
	t.a.Analyze(string(b), func(tok german.Token) {
		toks = append(toks, analysis.Token{
			Start:    tok.Start,
			End:      tok.End,
			Term:     []byte(tok.Term),
			Position: tok.Position,
			Type:     analysis.AlphaNumeric,
		})
	})
	return streamOf(toks)
}
