// Package animations draws convolution arithmetic as animated GIFs, in the
// manner of Dumoulin & Visin's "A guide to convolution arithmetic for deep
// learning": the input (with its padding, and for a transposed convolution
// the zeros inserted between its cells), the kernel window moving one output
// cell per frame, and the output filling in.
//
// Nothing here does convolution arithmetic: the grid comes from
// conv.Geometry.Grid and every window from conv.Trace, so the pictures show
// exactly what the engine computes.
//
//	p, err := animations.ParseQuery(r.URL.Query()) // or animations.Lookup("dilation")
//	b, err := animations.Render(p)                 // GIF bytes; errors are *animations.Error
package animations
