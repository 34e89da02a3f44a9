package convapi

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/convlab/convlab/internal/apperr"
)

// parseTensor reads a JSON array nested exactly depth deep, rectangular,
// of finite numbers that fit in float32. layout is the catalogue key that
// describes the dimensions, for the error messages. raw is valid JSON
// (encoding/json checked it) without null (jsonreq refused it); this
// hand-written scanner allocates only the result, so a large input costs
// little beyond reading it (encoding/json into [][][]float64 costs several
// times more: BenchmarkConvAPI).
func parseTensor(raw json.RawMessage, name string, depth int, layout string) ([]int, []float32, error) {
	p := tensorParser{b: raw, name: name, depth: depth, layout: layout, shape: make([]int, depth), idx: make([]int, depth)}
	for i := range p.shape {
		p.shape[i] = -1
	}
	if err := p.parse(0); err != nil {
		return nil, nil, err
	}
	if p.ws(); p.i != len(p.b) {
		return nil, nil, p.malformed()
	}
	return p.shape, p.data, nil
}

type tensorParser struct {
	b      []byte
	i      int
	name   string
	depth  int
	layout string
	shape  []int
	idx    []int // the index being read at each level, for messages
	data   []float32
}

func (p *tensorParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// where names the element being read at level, e.g. "input[0][2]".
func (p *tensorParser) where(level int) string {
	var sb strings.Builder
	sb.WriteString(p.name)
	for _, i := range p.idx[:level] {
		sb.WriteByte('[')
		sb.WriteString(strconv.Itoa(i))
		sb.WriteByte(']')
	}
	return sb.String()
}

func (p *tensorParser) err(kind apperr.Kind, code string, level int, args ...apperr.Arg) error {
	args = append(args, a("name", p.name), a("where", p.where(level)), a("depth", p.depth), apperr.W("layout", p.layout))
	return apperr.New(kind, code, args...).WithParam(p.name)
}

func (p *tensorParser) malformed() error { return p.err(apperr.Invalid, "tensor_malformed", 0) }

func (p *tensorParser) parse(level int) error {
	p.ws()
	if p.i >= len(p.b) {
		return p.malformed()
	}
	c := p.b[p.i]
	if level == p.depth {
		return p.number(level, c)
	}
	if c != '[' {
		if level == 0 {
			return p.err(apperr.Invalid, "tensor_not_array", level)
		}
		return p.err(apperr.Invalid, "tensor_not_deep", level)
	}
	p.i++
	n := 0
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
	} else {
		for {
			if level < len(p.idx) {
				p.idx[level] = n
			}
			if err := p.parse(level + 1); err != nil {
				return err
			}
			n++
			p.ws()
			if p.i >= len(p.b) {
				return p.malformed()
			}
			if p.b[p.i] == ',' {
				p.i++
				continue
			}
			if p.b[p.i] != ']' {
				return p.malformed()
			}
			p.i++
			break
		}
	}
	if n == 0 {
		return p.err(apperr.Unprocessable, "tensor_empty", level)
	}
	switch want := p.shape[level]; {
	case want == -1:
		p.shape[level] = n
	case want != n:
		return p.err(apperr.Unprocessable, "tensor_ragged", level, a("n", n), a("want", want))
	}
	return nil
}

// number reads the number at the deepest level.
func (p *tensorParser) number(level int, c byte) error {
	switch {
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		for p.i < len(p.b) && strings.IndexByte("+-.0123456789eE", p.b[p.i]) >= 0 {
			p.i++
		}
		tok := p.b[start:p.i]
		f, err := strconv.ParseFloat(string(tok), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return p.malformed()
		}
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > math.MaxFloat32 {
			return p.err(apperr.Unprocessable, "tensor_number_big", level, a("got", apperr.Truncate(string(tok), 30)))
		}
		p.data = append(p.data, float32(f))
		return nil
	case c == '[':
		return p.err(apperr.Invalid, "tensor_too_deep", level)
	case c == '"':
		var str string
		if err := json.Unmarshal(jsonString(p.b[p.i:]), &str); err != nil {
			return p.malformed()
		}
		return p.err(apperr.Invalid, "tensor_string", level, apperr.Q("got", str))
	case c == 't' || c == 'f':
		return p.err(apperr.Invalid, "tensor_not_number", level, apperr.W("got", "err.json_word.bool"))
	case c == '{':
		return p.err(apperr.Invalid, "tensor_not_number", level, apperr.W("got", "err.json_word.object"))
	}
	return p.malformed()
}

// jsonString is the JSON string literal at the start of b.
func jsonString(b []byte) []byte {
	esc := false
	for i := 1; i < len(b); i++ {
		switch {
		case esc:
			esc = false
		case b[i] == '\\':
			esc = true
		case b[i] == '"':
			return b[:i+1]
		}
	}
	return b
}
