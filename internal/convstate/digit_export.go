package convstate

// MNISTDigit is the built-in MNIST test digit (t10k image 0, a 7) as grey
// levels 0..255, with its label and test-set index: the network explorer's
// input when none is asked for.
func MNISTDigit() (pix [28 * 28]uint8, label, index int) {
	return mnistDigit, mnistDigitLabel, mnistDigitIndex
}
