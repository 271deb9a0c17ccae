package german

import (
	"bufio"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"log/slog"
	"math/bits"
	"os"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// WordListPath is where Debian's wngerman package puts its list of German
// words (igerman98, GPL-2+), one word a line, in all its inflected forms.
// It is read at run time, not embedded: the list keeps its own licence
// and its Debian updates.
const WordListPath = "/usr/share/dict/ngerman"

// MinDictionaryPart is the shortest word of a word list, in bytes folded,
// that is a part of a compound by the list alone: the list's words of
// three letters are mostly abbreviations (Abs, Abt, geb, gem), and the
// short parts that matter (Amt, Bad, Bau, Rad, Rat, Weg) are in the
// built-in list.
const MinDictionaryPart = 4

// MinDictionaryHead is the shortest word, in bytes folded, that ends a
// compound by the list alone: the list's short nouns end too many words
// that are not compounds (Karls-ruhe, verfüg-bare); the short heads that
// matter (Amt, Haus, Plan, Weg, Zeit) are in the built-in list.
const MinDictionaryHead = 5

// Dictionary is a list of German words, folded, as a compact set: 8 bytes
// a word, with a flag for nouns. It knows no frequencies; a Vocabulary
// counts a word of its dictionary as seen DictionaryCount times more. A
// Dictionary is read-only and safe for concurrent use.
type Dictionary struct {
	seed maphash.Seed
	// slots is an open-addressing hash table of the words' hashes with
	// the low bits as flags (slotUsed, slotNoun); its length is a power
	// of two, at most three quarters full.
	slots []uint64
	n     int
}

const (
	slotUsed = 1
	slotNoun = 2
	slotHash = ^uint64(3)
)

// ReadDictionary reads a word list, one word a line as written (nouns
// capitalized). Words that fold to anything but the letters a–z, that are
// shorter than MinDictionaryPart, or that have more than one capital
// letter (abbreviations: AfD, GmbH) are left out.
func ReadDictionary(r io.Reader) (*Dictionary, error) {
	type entry struct {
		h    uint64
		noun bool
	}
	var words []entry
	d := &Dictionary{seed: maphash.MakeSeed()}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		capitals := 0
		for _, r := range line {
			if unicode.IsUpper(r) {
				capitals++
			}
		}
		if capitals > 1 {
			continue
		}
		f := Fold(line)
		if len(f) < MinDictionaryPart || !letters(f) {
			continue
		}
		first, _ := utf8.DecodeRuneInString(line)
		words = append(words, entry{maphash.String(d.seed, f), unicode.IsUpper(first)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("word list: %w", err)
	}
	size := 1 << bits.Len(uint(len(words)*4/3+1))
	d.slots = make([]uint64, size)
	for _, w := range words {
		v := w.h&slotHash | slotUsed
		if w.noun {
			v |= slotNoun
		}
		i := d.find(w.h)
		if d.slots[i] == 0 {
			d.n++
		}
		d.slots[i] |= v // the same word as noun and verb (Beiträgen, beitragen) keeps the noun flag
	}
	return d, nil
}

// find returns the slot of hash h: the slot that holds it, or the empty
// slot where it belongs.
func (d *Dictionary) find(h uint64) int {
	mask := len(d.slots) - 1
	for i := int(h>>32) & mask; ; i = (i + 1) & mask {
		s := d.slots[i]
		if s == 0 || s&slotHash == h&slotHash {
			return i
		}
	}
}

// lookup returns the flags of the folded word w+suffix (0 if unknown).
func (d *Dictionary) lookup(w, suffix string) uint64 {
	if d == nil || len(d.slots) == 0 {
		return 0
	}
	var h uint64
	if suffix == "" {
		h = maphash.String(d.seed, w)
	} else {
		var buf [2 * MaxWordLength]byte
		h = maphash.Bytes(d.seed, append(append(buf[:0], w...), suffix...))
	}
	return d.slots[d.find(h)] & ^slotHash
}

// Has reports whether the folded word is in the list.
func (d *Dictionary) Has(folded string) bool { return d.lookup(folded, "") != 0 }

// Len returns the number of distinct folded words.
func (d *Dictionary) Len() int {
	if d == nil {
		return 0
	}
	return d.n
}

// part reports whether the folded word p may begin a compound by the
// list: it is a word, or a noun without its final e (Schul-weg, Kirch-
// turm), or a verb without its en (Wohn-gebiet, Fahr-rad).
func (d *Dictionary) part(p string) bool {
	if len(p) < MinDictionaryPart {
		return false
	}
	return d.lookup(p, "") != 0 || d.lookup(p, "e")&slotNoun != 0 || d.lookup(p, "en") != 0
}

// head reports whether the folded word p may end a compound by the list:
// a noun, in any of its forms (the list has them all), but not one that
// is also a suffix (Land-schaft).
func (d *Dictionary) head(p string) bool {
	return len(p) >= MinDictionaryHead && !suffix(p) && d.lookup(p, "")&slotNoun != 0
}

// suffix reports whether the folded noun p is also an ending that makes
// words of other words, so that the list alone does not make it a head:
// Land-schaft, folg-ende (folgende), Mill-ionen, best-ehen (bestehen),
// Rege-lungen (Regelungen), wich-tiger, Kombi-nation.
// Learnt words still do (Jahres-ende, seen in texts).
func suffix(p string) bool {
	switch p {
	case "schaft", "schaften", "ende", "enden", "ionen", "ehen", "lunge", "lungen", "tiger", "nation":
		return true
	}
	return false
}

// inflectedHead reports whether the folded word p is a noun that the list
// has only in other forms: Klasse (Klassen), Bescheid (Bescheids).
func (d *Dictionary) inflectedHead(p string) bool {
	if len(p) < MinDictionaryHead || suffix(p) {
		return false
	}
	if d.lookup(p, "s")&slotNoun != 0 || d.lookup(p, "es")&slotNoun != 0 {
		return true
	}
	// A plural in n only after e, el or er (Klasse-n, Regel-n), so that
	// lung is not taken for Lunge by Lungen.
	if strings.HasSuffix(p, "e") || strings.HasSuffix(p, "el") || strings.HasSuffix(p, "er") {
		return d.lookup(p, "n")&slotNoun != 0
	}
	return false
}

// SystemDictionary returns the word list at WordListPath, read once, on
// first use; nil, with a line in the log, if it cannot be read: compounds
// are then split by learnt words alone.
var SystemDictionary = sync.OnceValue(func() *Dictionary { return loadWordList(WordListPath) })

// loadWordList reads the word list at path; nil, with a line in the log,
// if it cannot.
func loadWordList(path string) *Dictionary {
	d, err := readDictionaryFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			slog.Warn("German word list missing: compounds are split by learnt words only (install Debian's wngerman)", "path", path)
		} else {
			slog.Warn("German word list unreadable: compounds are split by learnt words only", "path", path, "err", err)
		}
		return nil
	}
	return d
}

// letters reports whether the folded word has only the letters a–z.
func letters(f string) bool {
	for i := 0; i < len(f); i++ {
		if c := f[i]; !(c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

func readDictionaryFile(path string) (*Dictionary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadDictionary(f)
}
