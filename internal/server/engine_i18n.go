package server

import (
	"fmt"
	"strings"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/i18n"
)

// The engine (package conv) explains a refused configuration in English
// (conv.Error.Msg). Pages say it in the reader's language: the message's
// format string (conv.Error.Format) names a catalogue entry
// "conv.engine.<name>" whose {0}, {1}, ... are the message's arguments,
// formatted as the engine formats them. English stays the engine's own
// text; a format without an entry falls back to it (TestEngineMessages
// checks that every format of the engine has one).
var engineKeys = map[string]string{
	"pooling kernel_size must be between 1 and %d, got %dx%d":                                                                                                   "pool_kernel_range",
	"pooling stride must be between 1 and %d, got %dx%d":                                                                                                        "pool_stride_range",
	"pooling padding cannot be negative, got %dx%d":                                                                                                             "pool_padding_negative",
	"pooling padding must be at most half the kernel size: padding %dx%d, kernel %dx%d":                                                                         "pool_padding_half",
	"pooling needs a non-empty input, got %dx%dx%d":                                                                                                             "pool_empty",
	"pooling kernel %dx%d is larger than the padded input %dx%d":                                                                                                "pool_kernel_larger",
	"pooling dilation must be between 1 and %d, got %dx%d":                                                                                                      "pool_dilation_range",
	"average pooling has no dilation (only MaxPool2d has one), got %dx%d":                                                                                       "pool_avg_dilation",
	"pooling kernel %dx%d with dilation %dx%d spans %dx%d cells, more than the padded input %dx%d":                                                              "pool_dilated_larger",
	"the input must be at least 1x1, got %dx%d":                                                                                                                 "input_small",
	"the input %dx%d is too large (at most %d per side)":                                                                                                        "input_large",
	"padding=%q is only for Conv2d; ConvTranspose2d takes numbers":                                                                                              "padding_word_transposed",
	"the output would be %dx%d: padding %dx%d crops away everything the transposed convolution makes from a %dx%d input":                                        "transposed_cropped",
	"the output would be %dx%d, too large (at most %d per side)":                                                                                                "output_large",
	"padding=\"same\" needs stride 1 (PyTorch does not support it for strided convolutions), got stride %dx%d":                                                  "same_stride",
	"negative padding %dx%d (padding_mode=%q) crops %d rows and %d columns off each side, which leaves nothing of the %dx%d input":                              "negative_crop",
	"%s %dx%d is larger than the padded input %dx%d":                                                                                                            "kernel_larger",
	"padding_mode=\"reflect\" needs padding smaller than the input: padding %d on an input %s of %d":                                                            "reflect_padding",
	"padding_mode=\"circular\" can wrap around at most once: padding %d on an input %s of %d":                                                                   "circular_padding",
	"in_channels must be between 1 and %d, got %d":                                                                                                              "in_channels_range",
	"out_channels must be between 1 and %d, got %d":                                                                                                             "out_channels_range",
	"groups must be a positive number, got %d":                                                                                                                  "groups_positive",
	"in_channels (%d) must be divisible by groups (%d)":                                                                                                         "in_channels_groups",
	"out_channels (%d) must be divisible by groups (%d)":                                                                                                        "out_channels_groups",
	"padding cannot be negative with padding_mode=\"zeros\", got %dx%d (only reflect, replicate and circular padding may be negative: then it crops the input)": "zeros_negative",
	"%s cannot be negative, got %dx%d":                                                                                                                          "negative",
	"%s must be at least 1, got %dx%d":                                                                                                                          "at_least_1",
	"%s %dx%d is too large (at most %d)":                                                                                                                        "too_large",
	"padding_mode must be written %q in lower case, as PyTorch spells it, got %q":                                                                               "mode_case",
	"padding_mode must be zeros, reflect, replicate or circular, got %q":                                                                                        "mode_unknown",
	"padding must be written %q in lower case, as PyTorch spells it, got %q":                                                                                    "padding_case",
	"padding must be numbers, \"valid\" or \"same\", got %q":                                                                                                    "padding_word",
	"ConvTranspose2d only supports padding_mode=\"zeros\", got %q":                                                                                              "transposed_mode",
	"output_padding must be smaller than either stride or dilation: output_padding %dx%d, stride %dx%d, dilation %dx%d":                                         "output_padding_range",
	"output_padding only applies to transposed convolutions":                                                                                                    "output_padding_transposed",
}

// engineMessage is e's message in lang.
func engineMessage(lang string, e *conv.Error) string {
	name, ok := engineKeys[e.Format]
	if !ok || lang == "en" || i18n.Normalize(lang) == "" {
		return e.Msg
	}
	key := "conv.engine." + name
	if i18n.TL(lang, key) == key {
		return e.Msg
	}
	verbs := formatVerbs(e.Format)
	args := make([]any, len(e.Args))
	for i, a := range e.Args {
		verb := "%v"
		if i < len(verbs) {
			verb = verbs[i]
		}
		s := fmt.Sprintf(verb, a)
		// Words the engine puts in ("kernel", "height") have their own entries.
		if w, ok := a.(string); ok && verb == "%s" {
			wk := "conv.engine.word." + strings.NewReplacer(" ", "_", "(", "", ")", "").Replace(w)
			if tr := i18n.TL(lang, wk); tr != wk {
				s = tr
			}
		}
		args[i] = s
	}
	return i18n.TL(lang, key, args...)
}

// formatVerbs lists the verbs of a format string in order ("%d", "%q", ...).
func formatVerbs(f string) []string {
	var out []string
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			continue
		}
		if f[i+1] == '%' {
			i++
			continue
		}
		out = append(out, f[i:i+2])
		i++
	}
	return out
}
