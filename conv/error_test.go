package conv

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// checkErrorCode holds an *Error to its contract: a code from Codes, named
// arguments with distinct names, each written in Msg as its Text.
func checkErrorCode(t *testing.T, desc string, ce *Error) {
	t.Helper()
	if !slices.Contains(Codes, ce.Code) {
		t.Errorf("%s\n  code %q is not in Codes: %s", desc, ce.Code, ce.Msg)
	}
	seen := map[string]bool{}
	for _, a := range ce.Args {
		if a.Name == "" || seen[a.Name] {
			t.Errorf("%s\n  code %s: argument name %q empty or repeated", desc, ce.Code, a.Name)
		}
		seen[a.Name] = true
		if a.Text == "" || !strings.Contains(ce.Msg, a.Text) {
			t.Errorf("%s\n  code %s: argument %s = %q does not appear in %q", desc, ce.Code, a.Name, a.Text, ce.Msg)
		}
	}
}

// TestErrorCodes makes every code in Codes once, from a configuration that
// earns it, and checks the code, the parameter and the arguments.
func TestErrorCodes(t *testing.T) {
	base := Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}}
	with := func(f func(*Spec)) Spec { s := base; f(&s); return s }
	conv := []struct {
		code, param string
		spec        Spec
		inH, inW    int
		args        map[string]any // some arguments and their values
	}{
		{"input_too_small", "input", base, 0, 4, map[string]any{"h": 0, "w": 4}},
		{"input_too_large", "input", base, MaxDim + 1, 4, map[string]any{"max": MaxDim}},
		{"output_too_large", "stride", with(func(s *Spec) { s.Transposed = true; s.Stride = [2]int{MaxDim, 1} }), 3, 3, nil},
		{"output_empty_transposed", "padding", with(func(s *Spec) { s.Transposed = true; s.Padding = [2]int{5, 5} }), 2, 2, map[string]any{"pad_h": 5}},
		{"padding_word_transposed", "padding", with(func(s *Spec) { s.Transposed = true; s.PaddingStr = "same" }), 5, 5, map[string]any{"padding": "same"}},
		{"same_needs_stride_1", "padding", with(func(s *Spec) { s.PaddingStr = "same"; s.Stride = [2]int{2, 1} }), 5, 5, map[string]any{"stride_h": 2}},
		{"crop_leaves_nothing", "padding", with(func(s *Spec) { s.PaddingMode = Replicate; s.Padding = [2]int{-3, 0} }), 5, 5, map[string]any{"rows": 3, "mode": "replicate"}},
		{"kernel_too_large", "kernel_size", base, 2, 2, map[string]any{"k_h": 3, "padded_w": 2}},
		{"dilated_kernel_too_large", "kernel_size", with(func(s *Spec) { s.Dilation = [2]int{2, 2} }), 4, 4, map[string]any{"k_h": 5}},
		{"reflect_padding_too_large", "padding", with(func(s *Spec) { s.PaddingMode = Reflect; s.Padding = [2]int{0, 3} }), 5, 3, map[string]any{"dim": "width", "size": 3}},
		{"circular_padding_too_large", "padding", with(func(s *Spec) { s.PaddingMode = Circular; s.Padding = [2]int{4, 0} }), 3, 5, map[string]any{"dim": "height"}},
		{"in_channels_range", "in_channels", with(func(s *Spec) { s.InChannels = 0 }), 5, 5, map[string]any{"got": 0}},
		{"out_channels_range", "out_channels", with(func(s *Spec) { s.OutChannels = MaxChannels + 1 }), 5, 5, map[string]any{"max": MaxChannels}},
		{"groups_not_positive", "groups", with(func(s *Spec) { s.Groups = -1 }), 5, 5, map[string]any{"groups": -1}},
		{"in_channels_not_divisible", "groups", with(func(s *Spec) { s.InChannels = 3; s.OutChannels = 2; s.Groups = 2 }), 5, 5, map[string]any{"in_channels": 3}},
		{"out_channels_not_divisible", "groups", with(func(s *Spec) { s.InChannels = 2; s.OutChannels = 3; s.Groups = 2 }), 5, 5, map[string]any{"out_channels": 3}},
		{"negative_padding_zeros", "padding", with(func(s *Spec) { s.Padding = [2]int{-1, 0} }), 5, 5, map[string]any{"h": -1}},
		{"param_negative", "output_padding", with(func(s *Spec) { s.Transposed = true; s.OutputPadding = [2]int{-1, 0} }), 5, 5, map[string]any{"param": "output_padding"}},
		{"param_below_1", "stride", with(func(s *Spec) { s.Stride = [2]int{-2, 1} }), 5, 5, map[string]any{"param": "stride", "h": -2}},
		{"param_too_large", "dilation", with(func(s *Spec) { s.Dilation = [2]int{MaxDim + 1, 1} }), 5, 5, map[string]any{"param": "dilation"}},
		{"padding_mode_case", "padding_mode", with(func(s *Spec) { s.PaddingMode = "Reflect" }), 5, 5, map[string]any{"want": "reflect", "got": "Reflect"}},
		{"padding_mode_unknown", "padding_mode", with(func(s *Spec) { s.PaddingMode = "mirror" }), 5, 5, map[string]any{"got": "mirror"}},
		{"padding_case", "padding", with(func(s *Spec) { s.PaddingStr = "SAME" }), 5, 5, map[string]any{"want": "same"}},
		{"padding_word_unknown", "padding", with(func(s *Spec) { s.PaddingStr = "full" }), 5, 5, map[string]any{"got": "full"}},
		{"transposed_padding_mode", "padding_mode", with(func(s *Spec) { s.Transposed = true; s.PaddingMode = Reflect }), 5, 5, nil},
		{"output_padding_too_large", "output_padding", with(func(s *Spec) { s.Transposed = true; s.OutputPadding = [2]int{1, 0} }), 5, 5, map[string]any{"op_h": 1, "stride_h": 1}},
		{"output_padding_not_transposed", "output_padding", with(func(s *Spec) { s.OutputPadding = [2]int{1, 0} }), 5, 5, nil},
	}
	pool := []struct {
		code, param string
		spec        PoolSpec
		c, inH, inW int
	}{
		{"pool_kernel_range", "kernel_size", PoolSpec{Kernel: [2]int{0, 2}}, 1, 4, 4},
		{"pool_stride_range", "stride", PoolSpec{Kernel: [2]int{2, 2}, Stride: [2]int{-1, 1}}, 1, 4, 4},
		{"pool_padding_negative", "padding", PoolSpec{Kernel: [2]int{2, 2}, Padding: [2]int{-1, 0}}, 1, 4, 4},
		{"pool_padding_over_half", "padding", PoolSpec{Kernel: [2]int{2, 2}, Padding: [2]int{2, 0}}, 1, 4, 4},
		{"pool_input_empty", "input", PoolSpec{Kernel: [2]int{2, 2}}, 0, 4, 4},
		{"pool_kernel_too_large", "kernel_size", PoolSpec{Kernel: [2]int{5, 5}}, 1, 4, 4},
		{"pool_dilation_range", "dilation", PoolSpec{Kernel: [2]int{2, 2}, Dilation: [2]int{1, -1}}, 1, 4, 4},
		{"pool_dilated_kernel_too_large", "kernel_size", PoolSpec{Kernel: [2]int{3, 3}, Dilation: [2]int{2, 2}}, 1, 4, 4},
	}
	made := map[string]bool{}
	check := func(code, param string, err error, args map[string]any) {
		t.Helper()
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("%s: got %v, want an *Error", code, err)
			return
		}
		made[ce.Code] = true
		if ce.Code != code || ce.Param != param {
			t.Errorf("got code %q param %q (%s), want %q %q", ce.Code, ce.Param, ce.Msg, code, param)
		}
		checkErrorCode(t, code, ce)
		for name, want := range args {
			i := slices.IndexFunc(ce.Args, func(a Arg) bool { return a.Name == name })
			if i < 0 || ce.Args[i].Value != want {
				t.Errorf("%s: argument %s: got %+v, want %v", code, name, ce.Args, want)
			}
		}
	}
	for _, c := range conv {
		_, err := c.spec.Resolve(c.inH, c.inW)
		check(c.code, c.param, err, c.args)
	}
	for _, c := range pool {
		_, err := c.spec.Resolve(c.c, c.inH, c.inW)
		check(c.code, c.param, err, nil)
	}
	_, err := PoolSpec{Kernel: [2]int{2, 2}, Dilation: [2]int{2, 2}}.ResolveAvg(1, 4, 4)
	check("pool_avg_dilation", "dilation", err, map[string]any{"h": 2})
	for _, code := range Codes {
		if !made[code] {
			t.Errorf("code %s is in Codes but no case here makes it", code)
		}
	}
}

func TestErrfUnknownCodePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("errf with a code outside Codes did not panic")
		}
	}()
	_ = errf("no_such_code", "input", "x %d", arg("n", 1))
}
