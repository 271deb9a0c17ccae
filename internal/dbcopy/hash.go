package dbcopy

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Sum is what the verification compares of one table on one side: its
// number of rows and a hash of their canonical form that does not depend
// on the order the database returns them in.
type Sum struct {
	Rows int64
	Hash [32]byte
}

// String returns the hash's first 12 hex digits, enough to tell two
// tables apart in a printed table.
func (s Sum) String() string { return hex.EncodeToString(s.Hash[:6]) }

// canonical appends v, as database/sql returns it from either driver, in a
// form that is the same for the same value on both databases: integers of
// any width (and booleans, as the 0/1 flags are) as int64, floats by
// their shortest exact spelling, text and bytes length-prefixed, NULL.
func canonical(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, 'n')
	case int64:
		return strconv.AppendInt(append(b, 'i'), x, 10)
	case int32:
		return strconv.AppendInt(append(b, 'i'), int64(x), 10)
	case int:
		return strconv.AppendInt(append(b, 'i'), int64(x), 10)
	case bool:
		if x {
			return append(b, 'i', '1')
		}
		return append(b, 'i', '0')
	case float64:
		return strconv.AppendFloat(append(b, 'f'), x, 'g', -1, 64)
	case float32:
		return strconv.AppendFloat(append(b, 'f'), float64(x), 'g', -1, 64)
	case string:
		b = strconv.AppendInt(append(b, 't'), int64(len(x)), 10)
		return append(append(b, ':'), x...)
	case []byte:
		b = strconv.AppendInt(append(b, 'b'), int64(len(x)), 10)
		return append(append(b, ':'), x...)
	case time.Time:
		return canonical(b, x.UTC().Format(time.RFC3339Nano))
	}
	return canonical(b, fmt.Sprint(v))
}

// hasher sums the rows of one table.
type hasher struct {
	sum   Sum
	lanes [4]uint64
	perm  []int // column indexes in name order
	buf   []byte
}

// newHasher hashes rows whose columns are cols, taking them in name
// order so that both databases' column orders give the same hash.
func newHasher(cols []string) *hasher {
	h := &hasher{perm: make([]int, len(cols))}
	for i := range cols {
		h.perm[i] = i
	}
	sort.Slice(h.perm, func(a, b int) bool { return cols[h.perm[a]] < cols[h.perm[b]] })
	return h
}

// add adds a row. The table's hash is the lane-wise sum of the rows'
// SHA-256: independent of order, and a changed, missing or extra row
// changes it.
func (h *hasher) add(row []any) {
	h.buf = h.buf[:0]
	for _, i := range h.perm {
		h.buf = append(canonical(h.buf, row[i]), 0)
	}
	r := sha256.Sum256(h.buf)
	for i := range h.lanes {
		h.lanes[i] += binary.LittleEndian.Uint64(r[8*i:])
	}
	h.sum.Rows++
}

func (h *hasher) result() Sum {
	for i, l := range h.lanes {
		binary.LittleEndian.PutUint64(h.sum.Hash[8*i:], l)
	}
	return h.sum
}

// sumTable reads every row of a table and sums it.
func sumTable(ctx context.Context, db *sql.DB, name string, cols []string) (Sum, error) {
	h := newHasher(cols)
	rows, err := db.QueryContext(ctx, `SELECT `+quoteAll(cols)+` FROM `+quote(name))
	if err != nil {
		return Sum{}, fmt.Errorf("verify %s: %w", name, err)
	}
	defer rows.Close()
	row, ptrs := scanTargets(len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return Sum{}, fmt.Errorf("verify %s: %w", name, err)
		}
		h.add(row)
	}
	if err := rows.Err(); err != nil {
		return Sum{}, fmt.Errorf("verify %s: %w", name, err)
	}
	return h.result(), nil
}

func scanTargets(n int) ([]any, []any) {
	row, ptrs := make([]any, n), make([]any, n)
	for i := range row {
		ptrs[i] = &row[i]
	}
	return row, ptrs
}

// encodeKey spells the key of the last row copied for db_copy_progress,
// keeping each value's type so that decodeKey gives back the same query
// arguments.
func encodeKey(vals []any) (string, error) {
	s := make([]string, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case int64:
			s[i] = "i:" + strconv.FormatInt(x, 10)
		case float64:
			s[i] = "f:" + strconv.FormatFloat(x, 'g', -1, 64)
		case string:
			s[i] = "t:" + x
		case []byte:
			s[i] = "b:" + base64.StdEncoding.EncodeToString(x)
		default:
			return "", fmt.Errorf("a key value of type %T", v)
		}
	}
	b, err := json.Marshal(s)
	return string(b), err
}

func decodeKey(key string) ([]any, error) {
	var s []string
	if err := json.Unmarshal([]byte(key), &s); err != nil {
		return nil, fmt.Errorf("progress key %q: %w", key, err)
	}
	out := make([]any, len(s))
	for i, v := range s {
		kind, rest, _ := strings.Cut(v, ":")
		var err error
		switch kind {
		case "i":
			out[i], err = strconv.ParseInt(rest, 10, 64)
		case "f":
			out[i], err = strconv.ParseFloat(rest, 64)
		case "t":
			out[i] = rest
		case "b":
			out[i], err = base64.StdEncoding.DecodeString(rest)
		default:
			err = fmt.Errorf("unknown type %q", kind)
		}
		if err != nil {
			return nil, fmt.Errorf("progress key %q: %w", key, err)
		}
	}
	return out, nil
}

// rate is rows per second, for progress lines.
func rate(rows int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return math.Round(float64(rows) / d.Seconds())
}
