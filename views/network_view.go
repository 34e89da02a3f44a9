package views

// NetworkView is the view model of the network explorer (/network). The
// handler (internal/server/network_handlers.go) fills it from
// internal/explain; every number is already formatted.
type NetworkView struct {
	Form       NetworkForm
	ModelLine  string // "shipped model (reference)", "live run, step 1200 (small)"
	InputLine  string // "MNIST test digit 17 (label 7)" / "your drawing"
	Prediction string // "7"
	Columns    []NetworkColumn
	Logits     []NetworkBar // the linear layer's 10 outputs
	Probs      []NetworkBar // softmax
	Cell       *NetworkCell // the explained cell, nil when none is chosen
	Data       NetworkData  // for static/js/network.js
	Messages   map[string]string
	DrawURL    string
	RandomURL  string
}

// NetworkForm is the state of the page (its URL), for the form and links.
type NetworkForm struct {
	Model   string // shipped | live | untrained
	Preset  string // untrained only
	Digit   string // the MNIST test index, "" for another input
	Layer   string
	C, Y, X string
	Hidden  map[string]string // other state carried by the form (px)
	Layers  []NetworkOption
	Presets []NetworkOption
	Models  []NetworkOption
}

// NetworkOption is one choice of a select.
type NetworkOption struct {
	Value, Label string
	Selected     bool
}

// NetworkColumn is one layer of the picture.
type NetworkColumn struct {
	Name   string // "conv1"
	Kind   string
	Module string // "Conv2d(1, 32, kernel_size=(3, 3), padding=(1, 1))"
	Shape  string // "[1, 32, 28, 28]"
	Note   string // what the layer does, one sentence
	Maps   bool   // drawn as maps by the script
	Count  int    // channels
	Label  string // accessible name of the stack
}

// NetworkBar is one of ten numbers (logit or probability), a link to its explanation.
type NetworkBar struct {
	Digit    int
	Value    string
	Percent  string // probabilities: "97.1%"
	Width    string // bar width class suffix 0..100 (CSS has no inline styles)
	URL      string
	Selected bool
	Top      bool
}

// NetworkData goes to the script through templ.JSONScript.
type NetworkData struct {
	Maps     []NetworkMap `json:"maps"`
	Selected *NetworkSel  `json:"selected,omitempty"`
	Base     string       `json:"base"` // the page URL without layer/c/y/x/step
}

// NetworkMap is one layer's output, quantised like /train's maps.
type NetworkMap struct {
	Layer  string `json:"layer"`
	C      int    `json:"c"`
	H      int    `json:"h"`
	W      int    `json:"w"`
	Signed bool   `json:"signed"`
	Data   string `json:"data"`
}

// NetworkSel is the selected cell.
type NetworkSel struct {
	Layer string `json:"layer"`
	C     int    `json:"c"`
	Y     int    `json:"y"`
	X     int    `json:"x"`
}

// NetworkCell is one cell's explanation (the fragment GET /network/cell).
type NetworkCell struct {
	Kind    string // conv, relu, maxpool, flatten, linear, softmax, input
	Title   string // "conv2[0, 5, 7, 7]"
	Value   string
	Summary string // one sentence
	// Snapshot names the live model's training step ("" otherwise).
	Snapshot string
	Nav      []NetworkLink // positions: ← → ↑ ↓
	// PrevCell, NextCell step through the map's positions in reading
	// order (Position: "cell 5 of 196").
	PrevCell, NextCell NetworkLink
	Position           string
	Conv               *NetworkConv
	Pool               *NetworkPool
	ReLU               *NetworkReLU
	Logit              *NetworkLogit
	Softmax            *NetworkSoftmax
	Source             *NetworkLink // flatten / input: where the value comes from
	// Grad is the gradient of the loss at this cell, written out (issue
	// 14); "" for the input and the softmax.
	Grad string
}

// NetworkLink is a link with a label.
type NetworkLink struct {
	Label, URL, Title string
	Disabled          bool
}

// NetworkConv is a conv cell: one channel's window, kernel and products in
// detail (the stepper's current step), and every channel's partial sum.
type NetworkConv struct {
	From       string // "pool1"
	Channel    int    // the channel shown in detail
	StepLabel  string // "channel 3 of 32"
	Prev, Next NetworkLink
	Window     [][]NetworkNum // input values under the kernel
	Kernel     [][]NetworkNum
	Products   [][]NetworkNum
	ChanSum    string
	Channels   []NetworkPart
	Bias       string
	Total      string
	ReLU       string // the value after the ReLU
	Kept       bool
	HasReLU    bool
	Visualizer string // /conv URL with this channel's map and kernel ("" when not available)
	// Backward is the /conv/backward URL of this filter and input channel
	// with dY from a real loss (issue 14).
	Backward string
	// VisualizerPart: /conv shows this channel's partial sum (several
	// input channels), not the map's value (one channel, bias included).
	VisualizerPart bool
}

// NetworkNum is a formatted number with its role.
type NetworkNum struct {
	Text string
	Pad  bool // a padding cell
}

// NetworkPart is one input channel's partial sum.
type NetworkPart struct {
	Channel  int
	Sum      string
	URL      string
	Selected bool
}

// NetworkPool is a max-pool cell.
type NetworkPool struct {
	Visualizer string // /conv/pool URL of this window ("" when not available)
	From       string
	Window     [][]NetworkPoolCell
	Max        string
	ArgY       int
	ArgX       int
}

// NetworkPoolCell is one cell of a pooling window.
type NetworkPoolCell struct {
	Text   string
	Y, X   int
	Winner bool
	URL    string
}

// NetworkReLU is a ReLU cell.
type NetworkReLU struct {
	In   string
	Kept bool
	URL  string // the cell before
}

// NetworkLogit is one logit.
type NetworkLogit struct {
	Class  int
	Top    []NetworkTerm
	Rest   string
	Count  int
	Others int
	Bias   string
	Sum    string
	Heat   NetworkMap
}

// NetworkTerm is one weight × activation term.
type NetworkTerm struct {
	Where   string // "pool2[0, 12, 3, 4]"
	URL     string
	Input   string
	Weight  string
	Product string
}

// NetworkSoftmax is the softmax table.
type NetworkSoftmax struct {
	Max   string
	Rows  []NetworkSoftmaxRow
	Sum   string
	Class int
}

// NetworkSoftmaxRow is one class of the softmax.
type NetworkSoftmaxRow struct {
	Digit    int
	Logit    string
	Exp      string
	Prob     string
	Selected bool
}
