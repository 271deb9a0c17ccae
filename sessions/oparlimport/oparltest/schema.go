package oparltest

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Schemas are the OParl 1.1 JSON schemas, compiled, by type URL
// ("https://schema.oparl.org/1.1/Meeting").
type Schemas map[string]*jsonschema.Schema

// LoadSchemas compiles the schemas in dir (../shared/oparl/schema, read
// in place, never copied into the repository) under their file names
// (they name each other so), with formats asserted and OParl's "url"
// format meaning an absolute http(s) URL. It fails unless all 12 are
// there.
func LoadSchemas(dir string) (Schemas, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.RegisterFormat(&jsonschema.Format{Name: "url", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%q is not an absolute http(s) URL", s)
		}
		return nil
	}})
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(names) != 12 {
		return nil, fmt.Errorf("schemas in %s: %d files, want 12 (%v)", dir, len(names), err)
	}
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if err := c.AddResource(filepath.Base(n), doc); err != nil {
			return nil, err
		}
	}
	out := Schemas{}
	for _, n := range names {
		sch, err := c.Compile(filepath.Base(n))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		out[schema+strings.TrimSuffix(filepath.Base(n), ".json")] = sch
	}
	return out, nil
}

// Check validates every OParl object in the JSON document b — a list
// page's data or a single object, and every object embedded in them —
// against the schema of its type, and returns one error per violation
// and the number of objects checked.
func (s Schemas) Check(b []byte) (int, []error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return 0, []error{err}
	}
	top, ok := v.(map[string]any)
	if !ok {
		return 0, []error{fmt.Errorf("not a JSON object")}
	}
	var errs []error
	n := 0
	var walk func(o map[string]any)
	walk = func(o map[string]any) {
		typ, _ := o["type"].(string)
		sch := s[typ]
		if sch == nil {
			errs = append(errs, fmt.Errorf("%v: unknown type %q", o["id"], typ))
			return
		}
		n++
		if err := sch.Validate(o); err != nil {
			errs = append(errs, fmt.Errorf("%s %v: %v", typ, o["id"], err))
		}
		for _, v := range o {
			switch v := v.(type) {
			case map[string]any:
				walk(v)
			case []any:
				for _, e := range v {
					if m, ok := e.(map[string]any); ok {
						walk(m)
					}
				}
			}
		}
	}
	if data, ok := top["data"].([]any); ok {
		for _, e := range data {
			if m, ok := e.(map[string]any); ok {
				walk(m)
			}
		}
		return n, errs
	}
	walk(top)
	return n, errs
}
