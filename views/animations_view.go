package views

// AnimationsView is the view model of the animations gallery (/animations).
// The handler (internal/server/animation_handlers.go) fills it from package
// animations; every sentence is already translated, every number formatted.
type AnimationsView struct {
	Classic []AnimCard
	// Pooling are the numbered max- and average-pooling animations.
	Pooling []AnimCard
	Form    AnimForm
	// Preview is the custom animation asked for with the form, or nil.
	Preview *AnimCard
	// Error explains why the form's configuration cannot be animated.
	Error string
}

// AnimCard is one animation with what it illustrates.
type AnimCard struct {
	ID       string // HTML id, e.g. "anim-dilation"
	Title    string
	About    string
	Kind     string // "Convolution" / "Transposed convolution", translated
	GIF      string // /animations/dilation.gif
	Still    string // /animations/dilation.png (shown for reduced motion)
	Download string // file name for the download link
	Width    int
	Height   int
	Alt      string
	Frames   string      // "10 frames, 416×256 pixels"
	Params   []AnimParam // label and value
	// Relations are the output-size formulas, one per axis (or one for both).
	Relations []AnimRelation
	ConvURL   string // the same configuration in the visualizer
	// NumbersURL shows the same animation with the values written in the
	// cells (the custom form, filled in); "" when it already has them.
	NumbersURL string
}

// AnimParam is one parameter row: "Stride" "2".
type AnimParam struct{ Label, Value string }

// AnimRelation is one output-size relationship: the general formula, the
// dilated kernel size (if any) and the same filled in.
type AnimRelation struct {
	Axis    string // "" when one formula holds for both axes, else "H" / "W"
	Formula string
	Dilated string
	Filled  string
}

// AnimForm is the custom-animation form: the values as the user typed them.
type AnimForm struct {
	Input, Kernel, Stride, Padding, Dilation, OutputPadding string
	Transposed, Numbers                                     bool
}
