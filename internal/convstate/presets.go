package convstate

import "strings"

// Preset is a named starting point of the visualizer: the lesson's own
// examples (../shared/seed: a 4x4 input under a 3x3 filter, the worked 5x5
// example, a real MNIST digit, stride, zero padding) and the classic cases
// of Dumoulin & Visin's "A guide to convolution arithmetic".
type Preset struct {
	Name string
	Key  string // i18n key of its label
	make func() State
}

// State is the preset's state: its own values where it has them, the
// default fill elsewhere.
func (p Preset) State() State {
	s := p.make()
	s.Preset = p.Name
	s.XSet, s.WSet, s.BSet = s.X != nil, s.W != nil, s.B != nil
	s.Fill()
	return s
}

// The 5x5 input and 3x3 kernel of conv_arithmetic's numerical figures.
var (
	arithX = []float32{
		3, 3, 2, 1, 0,
		0, 0, 1, 3, 1,
		3, 1, 2, 2, 3,
		2, 0, 0, 2, 2,
		2, 0, 0, 0, 1,
	}
	arithW = []float32{
		0, 1, 2,
		2, 2, 0,
		0, 1, 2,
	}
	// lessonW is the lesson's filter.
	lessonW = []float32{
		1, 0, 1,
		0, 1, 0,
		1, 0, 1,
	}
	// sobelY finds horizontal edges (dark above, bright below is positive).
	sobelY = []float32{
		-1, -2, -1,
		0, 0, 0,
		1, 2, 1,
	}
)

func sq(s *State, in, k int) {
	s.InH, s.InW, s.KH, s.KW = in, in, k, k
}

// Presets are the presets in the order the page lists them.
var Presets = []Preset{
	{"lesson-4x4", "conv.preset.lesson_4x4", func() State {
		s := Default()
		sq(&s, 4, 3)
		s.X = []float32{
			3, 3, 2, 1,
			0, 0, 1, 3,
			3, 1, 2, 2,
			2, 0, 0, 2,
		}
		s.W = append([]float32(nil), arithW...)
		return s
	}},
	{"lesson-5x5", "conv.preset.lesson_5x5", func() State {
		s := Default()
		sq(&s, 5, 3)
		// The top-left 3x3 is the lesson's first window
		// [[1,2,3],[0,1,5],[1,0,2]]: under the lesson's filter it makes 8.
		s.X = []float32{
			1, 2, 3, 1, 0,
			0, 1, 5, 2, 1,
			1, 0, 2, 3, 1,
			2, 1, 0, 1, 4,
			0, 3, 1, 2, 1,
		}
		s.W = append([]float32(nil), lessonW...)
		return s
	}},
	{"lesson-mnist", "conv.preset.lesson_mnist", func() State {
		s := Default()
		sq(&s, 28, 3)
		s.X = make([]float32, 28*28)
		for i, p := range mnistDigit {
			s.X[i] = float32(p) / 255 // as torchvision's ToTensor
		}
		s.W = append([]float32(nil), sobelY...)
		return s
	}},
	{"stride", "conv.preset.stride", func() State {
		s := Default()
		sq(&s, 5, 3)
		s.SH, s.SW = 2, 2
		s.X, s.W = append([]float32(nil), arithX...), append([]float32(nil), arithW...)
		return s
	}},
	{"zero-padding", "conv.preset.zero_padding", func() State {
		s := Default()
		sq(&s, 5, 3)
		s.PadH, s.PadW = 2, 2
		s.X, s.W = append([]float32(nil), arithX...), append([]float32(nil), arithW...)
		return s
	}},
	{"half-padding", "conv.preset.half_padding", func() State {
		s := Default()
		sq(&s, 5, 3)
		s.PadH, s.PadW = 1, 1
		s.X, s.W = append([]float32(nil), arithX...), append([]float32(nil), arithW...)
		return s
	}},
	{"arbitrary-padding", "conv.preset.arbitrary_padding", func() State {
		s := Default()
		sq(&s, 5, 4)
		s.PadH, s.PadW = 2, 2
		s.X = append([]float32(nil), arithX...)
		return s
	}},
	{"odd-stride", "conv.preset.odd_stride", func() State {
		s := Default()
		sq(&s, 6, 3)
		s.PadH, s.PadW = 1, 1
		s.SH, s.SW = 2, 2
		return s
	}},
	{"dilation", "conv.preset.dilation", func() State {
		s := Default()
		sq(&s, 7, 3)
		s.DH, s.DW = 2, 2
		return s
	}},
	{"transposed", "conv.preset.transposed", func() State {
		s := Default()
		sq(&s, 2, 3)
		s.SH, s.SW = 2, 2
		s.Transposed = true
		s.X = []float32{1, 2, 3, 4}
		s.W = append([]float32(nil), lessonW...)
		return s
	}},
	{"reflect", "conv.preset.reflect", func() State {
		s := Default()
		sq(&s, 5, 3)
		s.PadH, s.PadW = 1, 1
		s.Mode = "reflect"
		s.X = append([]float32(nil), arithX...)
		s.W = append([]float32(nil), arithW...)
		return s
	}},
	{"channels", "conv.preset.channels", func() State {
		s := Default()
		sq(&s, 5, 3)
		s.PadH, s.PadW = 1, 1
		s.SH, s.SW = 2, 2
		s.Channels, s.Filters = 3, 2
		s.Bias = true
		return s
	}},
}

// PresetByName finds a preset.
func PresetByName(name string) (Preset, bool) {
	for _, p := range Presets {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}

// joinNames lists the presets' names for a message.
func joinNames() string {
	out := make([]string, len(Presets))
	for i, p := range Presets {
		out[i] = p.Name
	}
	return strings.Join(out, ", ")
}
