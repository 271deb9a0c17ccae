package pdfworker

import (
	"sort"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Keys removed from every dictionary, whatever it is, with the label
// reported for each. None of them carries content a reader needs.
var removedKeys = map[string]string{
	"AA":               "AdditionalActions", // catalog, page, annotation, field: run on events
	"JavaScript":       "JavaScript",        // names dictionary: document-level scripts
	"EmbeddedFiles":    "EmbeddedFile",      // names dictionary: attachments
	"XFA":              "XFA",               // AcroForm: XML forms with scripts
	"EF":               "EmbeddedFile",      // file specification: the embedded stream
	"RichMediaContent": "RichMedia",
}

// Action types that are removed: they run code, start programs, send data
// or open other files.
var dangerousActions = map[string]bool{
	"JavaScript": true, "Launch": true, "SubmitForm": true, "ImportData": true,
	"GoToR": true, "GoToE": true, "Rendition": true, "Movie": true, "Sound": true,
	"RichMediaExecute": true,
}

// Annotation subtypes removed entirely.
var removedAnnots = map[string]string{
	"FileAttachment": "FileAttachment",
	"Screen":         "Screen",
	"Movie":          "Movie",
	"Sound":          "Sound",
	"RichMedia":      "RichMedia",
}

// sanitizer strips active content from a parsed PDF. It visits every
// object of the cross-reference table — not only what is reachable from
// the catalog — and every dictionary nested in them, so that nothing is
// missed because it hangs in an unexpected place. What it unlinks is not
// written again: pdfcpu writes only objects reachable from the trailer.
type sanitizer struct {
	xt      *model.XRefTable
	removed map[string]bool
	// neuter selects the second pass, which only empties dangerous action
	// dictionaries that the first pass did not unlink.
	neuter bool
}

// sanitize removes active content from ctx and returns the sorted labels
// of what it removed.
func sanitize(ctx *model.Context) []string {
	s := &sanitizer{xt: ctx.XRefTable, removed: map[string]bool{}}
	for _, name := range []string{"JavaScript", "EmbeddedFiles"} {
		if _, ok := ctx.XRefTable.Names[name]; ok {
			delete(ctx.XRefTable.Names, name)
			s.removed[removedKeys[name]] = true
		}
	}
	nums := make([]int, 0, len(s.xt.Table))
	for n := range s.xt.Table {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	// Objects in object streams are decoded only on demand, and pdfcpu
	// writes one that nobody decoded as its original bytes. Decode them
	// all, so that nothing escapes inspection; one that cannot be decoded
	// is written as null.
	for _, n := range nums {
		e := s.xt.Table[n]
		if e == nil || e.Free {
			continue
		}
		if _, lazy := e.Object.(types.LazyObjectStreamObject); lazy {
			gen := 0
			if e.Generation != nil {
				gen = *e.Generation
			}
			if _, err := s.xt.Dereference(*types.NewIndirectRef(n, gen)); err != nil {
				e.Object = nil
			}
			if _, still := e.Object.(types.LazyObjectStreamObject); still {
				e.Object = nil
			}
		}
	}
	// First unlink (a link keeps its place and loses its /A), then
	// neuter what is still referenced from somewhere unexpected.
	for _, neuter := range []bool{false, true} {
		s.neuter = neuter
		for _, n := range nums {
			e := s.xt.Table[n]
			if e == nil || e.Free || e.Object == nil {
				continue
			}
			s.walk(e.Object, 0)
		}
	}
	var out []string
	for k := range s.removed {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (s *sanitizer) walk(o types.Object, depth int) {
	if depth > 64 {
		return
	}
	switch v := o.(type) {
	case types.Dict:
		s.dict(v, depth)
	case types.StreamDict:
		s.dict(v.Dict, depth)
	case *types.StreamDict:
		s.dict(v.Dict, depth)
	case types.Array:
		for _, x := range v {
			s.walk(x, depth+1)
		}
	}
}

func (s *sanitizer) deref(o types.Object) types.Object {
	if ir, ok := o.(types.IndirectRef); ok {
		obj, err := s.xt.Dereference(ir)
		if err != nil {
			return nil
		}
		return obj
	}
	return o
}

func nameOf(o types.Object) string {
	switch v := o.(type) {
	case types.Name:
		return string(v)
	case types.StringLiteral:
		return string(v)
	}
	return ""
}

func (s *sanitizer) dict(d types.Dict, depth int) {
	if s.neuter {
		s.neuterAction(d)
		for _, v := range d {
			if _, isRef := v.(types.IndirectRef); !isRef {
				s.walk(v, depth+1)
			}
		}
		return
	}
	if nameOf(d["S"]) == "URI" {
		// The string may be literal or hex, and escaped: judge what a
		// viewer would see.
		if uri, err := types.StringOrHexLiteral(s.deref(d["URI"])); err != nil || !safeURI(*uri) {
			delete(d, "URI")
			s.removed["URI"] = true
		}
	}
	for k, label := range removedKeys {
		if _, ok := d[k]; ok {
			delete(d, k)
			s.removed[label] = true
		}
	}
	// An open action that only shows a page (a destination or a GoTo) is
	// kept; any other runs something when the file opens and goes.
	if oa, ok := d["OpenAction"]; ok && !s.isDestination(oa) {
		delete(d, "OpenAction")
		s.removed["OpenAction"] = true
	}
	for _, k := range []string{"A", "Next", "PA"} {
		if v, ok := d[k]; ok && s.isDangerousAction(v, 0) {
			delete(d, k)
		}
	}
	if annots, ok := d["Annots"]; ok {
		s.filterAnnots(d, annots)
	}
	for _, v := range d {
		if _, isRef := v.(types.IndirectRef); !isRef {
			s.walk(v, depth+1)
		}
	}
}

// neuterAction empties d in place if it is an action of a dangerous type,
// for an action referenced from somewhere the rules of dict do not know.
func (s *sanitizer) neuterAction(d types.Dict) {
	t := nameOf(d["S"])
	_, hasJS := d["JS"]
	if !dangerousActions[t] && !hasJS {
		return
	}
	for k := range d {
		if k != "Type" {
			delete(d, k)
		}
	}
	d["S"] = types.Name("Named")
	d["N"] = types.Name("NoOp")
	if dangerousActions[t] {
		s.removed[t] = true
	} else {
		s.removed["JavaScript"] = true
	}
}

// isDangerousAction reports whether o is (or chains to) a dangerous
// action, and notes its type.
func (s *sanitizer) isDangerousAction(o types.Object, depth int) bool {
	if depth > 16 {
		return true
	}
	switch v := s.deref(o).(type) {
	case types.Dict:
		if t := nameOf(v["S"]); dangerousActions[t] {
			s.removed[t] = true
			return true
		}
		if _, js := v["JS"]; js {
			s.removed["JavaScript"] = true
			return true
		}
		if next, ok := v["Next"]; ok && s.isDangerousAction(next, depth+1) {
			delete(v, "Next")
		}
	case types.Array:
		for _, x := range v {
			if s.isDangerousAction(x, depth+1) {
				return true
			}
		}
	}
	return false
}

// isDestination reports whether o is a plain destination or a GoTo action
// without a chained action.
func (s *sanitizer) isDestination(o types.Object) bool {
	switch v := s.deref(o).(type) {
	case types.Array, types.Name, types.StringLiteral, types.HexLiteral:
		return true
	case types.Dict:
		_, chained := v["Next"]
		return nameOf(v["S"]) == "GoTo" && !chained
	}
	return false
}

// filterAnnots drops file-attachment and media annotations from an Annots
// array, direct or indirect.
func (s *sanitizer) filterAnnots(d types.Dict, annots types.Object) {
	arr, ok := s.deref(annots).(types.Array)
	if !ok {
		return
	}
	kept := make(types.Array, 0, len(arr))
	for _, a := range arr {
		ad, ok := s.deref(a).(types.Dict)
		if ok {
			if label, bad := removedAnnots[nameOf(ad["Subtype"])]; bad {
				s.removed[label] = true
				continue
			}
		}
		kept = append(kept, a)
	}
	if len(kept) == len(arr) {
		return
	}
	if ir, isRef := annots.(types.IndirectRef); isRef {
		if e, found := s.xt.FindTableEntryForIndRef(&ir); found && e != nil {
			e.Object = kept
			return
		}
	}
	d["Annots"] = kept
}

// safeURI reports whether a link target is an ordinary web or mail link.
func safeURI(u string) bool {
	l := strings.ToLower(strings.TrimSpace(u))
	for _, p := range []string{"http://", "https://", "mailto:", "#"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return !strings.Contains(l, ":")
}
