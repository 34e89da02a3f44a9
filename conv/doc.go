// Package conv is convlab's one convolution engine: 2-D convolution,
// transposed convolution and pooling with PyTorch's exact semantics
// (torch.nn.functional.conv2d / conv_transpose2d / max_pool2d / avg_pool2d:
// cross-correlation, NCHW layout, float32).
//
// Every other part of convlab (the visualizer, the animations, MNIST
// training and prediction) runs its arithmetic through this package.
//
// The flow is always the same:
//
//	spec := conv.Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{3, 3}}
//	g, err := spec.Resolve(5, 5) // user input: check err
//	y := make([]float32, g.OutLen(1))
//	conv.ForwardNaive(g, y, x, w, b, 1)
//
// Spec is what a user (or PyTorch code) writes; Geometry is a Spec resolved
// against an input size, with every number the kernels need. Resolve returns
// errors worded for students; the kernels panic on programmer errors (wrong
// slice lengths) with constant messages.
//
// Layouts (n is the batch size):
//
//	x       n × InChannels × InH × InW
//	y       n × OutChannels × OutH × OutW
//	weight  OutChannels × InChannels/Groups × KH × KW        (Conv2d)
//	weight  InChannels × OutChannels/Groups × KH × KW        (ConvTranspose2d)
//	bias    OutChannels (or nil)
package conv
