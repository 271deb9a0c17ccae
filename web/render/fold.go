package render

import (
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"strings"
	"sync"
	"testing"
	"text/template/parse"
)

// Pages are parsed once more for each language, with what the language
// decides already decided: {{.T "key"}} (also $.T and $p.T, $p being the
// page) becomes the key's text, {{.Lang}} the language, and
// {{if eq $p.Lang "en"}}…{{else}}…{{end}} the branch the language takes.
// A text that html/template's escaper would leave as it is becomes part
// of the template's literal text. html/template calls every function and
// method of a template by reflection, looking a method up by its name on
// each call, and runs an escaper on each result: on a meeting page with a
// dozen agenda items, some hundred such calls decided nothing but the
// language (issue 15: templates were a fifth of the member's meeting
// page's CPU). The output is byte for byte the same (TestFoldedPages).
//
// Only references that are certainly the page are folded: $ (every
// template is executed with a *Page: the layout by HTML, the others by
// {{template "name" .With …}} or {{block … .}}), a variable declared as
// $p := . where dot is the page, and dot itself outside {{with}} and
// {{range}}.

// foldPages turns folding on.
var foldPages = true

// checkFolded says whether HTML renders every page also from the general
// template and answers 500 if the two differ: under go test, so that
// every test of a page checks the folding too — but not in benchmarks
// (-test.bench), whose figures would count both renderings.
var checkFolded = sync.OnceValue(func() bool {
	if !testing.Testing() {
		return false
	}
	f := flag.Lookup("test.bench")
	return f == nil || f.Value.String() == ""
})

// foldLanguage escapes the templates of set (so that each action carries
// its escapers) and folds them for lang; static, if not nil, gives the
// URL of a static file, so that {{static "app.css"}} is folded too.
func foldLanguage(set *template.Template, lang string, static func(string) (string, bool)) error {
	// Executing escapes the whole set first; the empty page's execution
	// itself may fail (a template that needs its data), which does not
	// matter here, but escaping must not.
	var escErr *template.Error
	if err := set.ExecuteTemplate(io.Discard, "layout.html", &Page{Lang: lang}); errors.As(err, &escErr) {
		return fmt.Errorf("escape for %s: %w", lang, err)
	}
	f := folder{lang: lang, static: static}
	for _, t := range set.Templates() {
		if t.Tree == nil || t.Tree.Root == nil {
			continue
		}
		f.list(t.Tree.Root, scope{dotIsPage: true, pageVars: map[string]bool{"$": true}})
	}
	return nil
}

// scope is what the folder knows at a node: whether dot is the page, and
// which variables hold it.
type scope struct {
	dotIsPage bool
	pageVars  map[string]bool
}

func (s scope) withDot(isPage bool) scope {
	vars := make(map[string]bool, len(s.pageVars))
	for k, v := range s.pageVars {
		vars[k] = v
	}
	return scope{dotIsPage: isPage, pageVars: vars}
}

type folder struct {
	lang   string
	static func(string) (string, bool)
}

// otherLang is the page's OtherLang for lang.
func otherLang(lang string) string { return (&Page{Lang: lang}).OtherLang() }

// list folds the nodes of l in place.
func (f folder) list(l *parse.ListNode, sc scope) {
	if l == nil {
		return
	}
	out := l.Nodes[:0:0]
	for _, n := range l.Nodes {
		out = append(out, f.node(n, sc)...)
	}
	// Adjacent literal texts are written at once.
	merged := out[:0]
	for _, n := range out {
		if t, ok := n.(*parse.TextNode); ok && len(merged) > 0 {
			if prev, ok := merged[len(merged)-1].(*parse.TextNode); ok {
				prev.Text = append(append([]byte(nil), prev.Text...), t.Text...)
				continue
			}
		}
		merged = append(merged, n)
	}
	l.Nodes = merged
}

// node returns what n becomes: itself, folded, or the nodes of the branch
// a language decides.
func (f folder) node(n parse.Node, sc scope) []parse.Node {
	switch n := n.(type) {
	case *parse.ActionNode:
		f.pipe(n.Pipe, sc)
		isDot := false
		if len(n.Pipe.Decl) == 1 && len(n.Pipe.Cmds) == 1 && len(n.Pipe.Cmds[0].Args) == 1 {
			_, isDot = n.Pipe.Cmds[0].Args[0].(*parse.DotNode)
		}
		for _, v := range n.Pipe.Decl {
			sc.pageVars[v.Ident[0]] = isDot && sc.dotIsPage
		}
		if t, ok := f.literal(n); ok {
			return []parse.Node{t}
		}
	case *parse.IfNode:
		f.pipe(n.Pipe, sc)
		sc = notPage(sc.withDot(sc.dotIsPage), n.Pipe)
		if v, ok := constantEq(n.Pipe); ok {
			branch := n.ElseList
			if v {
				branch = n.List
			}
			if branch == nil {
				return nil
			}
			f.list(branch, sc)
			return branch.Nodes
		}
		f.list(n.List, sc)
		f.list(n.ElseList, sc)
	case *parse.RangeNode:
		f.pipe(n.Pipe, sc)
		f.list(n.List, notPage(sc.withDot(false), n.Pipe))
		f.list(n.ElseList, sc)
	case *parse.WithNode:
		f.pipe(n.Pipe, sc)
		f.list(n.List, notPage(sc.withDot(false), n.Pipe))
		f.list(n.ElseList, sc)
	case *parse.TemplateNode:
		f.pipe(n.Pipe, sc)
	case *parse.ListNode:
		f.list(n, sc)
	}
	return []parse.Node{n}
}

// notPage returns sc without the variables p declares (a range's index
// and element, a with's value): they do not hold the page.
func notPage(sc scope, p *parse.PipeNode) scope {
	if p != nil {
		for _, v := range p.Decl {
			sc.pageVars[v.Ident[0]] = false
		}
	}
	return sc
}

// pipe folds the commands of p.
func (f folder) pipe(p *parse.PipeNode, sc scope) {
	if p == nil {
		return
	}
	for _, c := range p.Cmds {
		f.command(c, sc)
	}
}

// command folds a page's T with a constant key into its text, a page's
// Lang and OtherLang into the languages, both where they are arguments,
// and a static file's URL.
func (f folder) command(c *parse.CommandNode, sc scope) {
	if len(c.Args) == 2 && f.isPage(c.Args[0], sc, "T") {
		if key, ok := c.Args[1].(*parse.StringNode); ok {
			c.Args = []parse.Node{str(c.Position(), T(f.lang, key.Text))}
			return
		}
	}
	if len(c.Args) == 2 && f.static != nil {
		id, ok1 := c.Args[0].(*parse.IdentifierNode)
		name, ok2 := c.Args[1].(*parse.StringNode)
		if ok1 && ok2 && id.Ident == "static" {
			if u, ok := f.static(name.Text); ok {
				c.Args = []parse.Node{str(c.Position(), u)}
				return
			}
		}
	}
	if len(c.Args) == 1 && f.isPage(c.Args[0], sc, "OtherLang") {
		c.Args[0] = str(c.Args[0].Position(), otherLang(f.lang))
		return
	}
	for i, a := range c.Args {
		switch a := a.(type) {
		case *parse.PipeNode:
			f.pipe(a, sc)
			if len(a.Decl) == 0 && len(a.Cmds) == 1 && len(a.Cmds[0].Args) == 1 {
				if s, ok := a.Cmds[0].Args[0].(*parse.StringNode); ok {
					c.Args[i] = s
				}
			}
		default:
			if f.isPage(a, sc, "Lang") {
				c.Args[i] = str(a.Position(), f.lang)
			}
		}
	}
}

// isPage reports whether n is the page's field or method name: .name
// where dot is the page, $.name, or $v.name for a variable that holds
// the page.
func (f folder) isPage(n parse.Node, sc scope, name string) bool {
	switch n := n.(type) {
	case *parse.FieldNode:
		return sc.dotIsPage && len(n.Ident) == 1 && n.Ident[0] == name
	case *parse.VariableNode:
		return len(n.Ident) == 2 && n.Ident[1] == name && sc.pageVars[n.Ident[0]]
	}
	return false
}

// constantEq returns the value of a condition eq "a" "b" (left so by
// folding the language).
func constantEq(p *parse.PipeNode) (bool, bool) {
	if p == nil || len(p.Decl) != 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 3 {
		return false, false
	}
	args := p.Cmds[0].Args
	if id, ok := args[0].(*parse.IdentifierNode); !ok || id.Ident != "eq" {
		return false, false
	}
	a, ok1 := args[1].(*parse.StringNode)
	b, ok2 := args[2].(*parse.StringNode)
	if !ok1 || !ok2 {
		return false, false
	}
	return a.Text == b.Text, true
}

// identityEscapers are html/template's escapers that leave a text without
// the characters of unsafeText as it is.
var identityEscapers = map[string]bool{
	"_html_template_htmlescaper":   true,
	"_html_template_attrescaper":   true,
	"_html_template_rcdataescaper": true,
}

// unsafeText are the characters those escapers replace.
const unsafeText = "\x00\"&'+<>"

// urlIdentity reports whether html/template's URL escaper esc leaves s as
// it is: the filter a URL without a colon (no scheme to refuse), the
// normalizer one of letters, digits and -._~/ only, the escaper (a query's
// or path's part) one without the /.
func urlIdentity(esc, s string) bool {
	switch esc {
	case "_html_template_urlfilter":
		return !strings.Contains(s, ":")
	case "_html_template_urlnormalizer":
		return onlyURLBytes(s, "-._~/")
	case "_html_template_urlescaper":
		return onlyURLBytes(s, "-._~")
	}
	return false
}

func onlyURLBytes(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}

// literal returns the text of an action that prints a constant string
// through escapers that leave it as it is.
func (f folder) literal(n *parse.ActionNode) (*parse.TextNode, bool) {
	p := n.Pipe
	if len(p.Decl) != 0 || len(p.Cmds) == 0 || len(p.Cmds[0].Args) != 1 {
		return nil, false
	}
	s, ok := p.Cmds[0].Args[0].(*parse.StringNode)
	// An action that has no escaper was not escaped (its template is not
	// reached from the layout): leave it to be escaped as it is.
	if !ok || len(p.Cmds) < 2 || strings.ContainsAny(s.Text, unsafeText) {
		return nil, false
	}
	for _, c := range p.Cmds[1:] {
		if len(c.Args) != 1 {
			return nil, false
		}
		id, ok := c.Args[0].(*parse.IdentifierNode)
		if !ok || !identityEscapers[id.Ident] && !urlIdentity(id.Ident, s.Text) {
			return nil, false
		}
	}
	return &parse.TextNode{NodeType: parse.NodeText, Pos: n.Pos, Text: []byte(s.Text)}, true
}

func str(pos parse.Pos, s string) *parse.StringNode {
	return &parse.StringNode{NodeType: parse.NodeString, Pos: pos, Quoted: fmt.Sprintf("%q", s), Text: s}
}
