package mnist_test

import (
	"fmt"
	"os"

	"github.com/convlab/convlab/mnist"
)

// The reference network is the lesson's CNN, layer for layer as PyTorch's
// nn.Sequential prints it; its parameters carry the same names, so a
// saved model loads into that nn.Sequential with load_state_dict.
func ExampleNet_Describe() {
	n, err := mnist.NewNet("reference", 1)
	if err != nil {
		panic(err)
	}
	for _, line := range n.Describe() {
		fmt.Println(line)
	}
	for _, p := range n.Params() {
		fmt.Println(p.Name, p.Shape)
	}
	fmt.Println(n.ParamCount(), "parameters")
	// Output:
	// (0): Conv2d(1, 32, kernel_size=(3, 3), padding=(1, 1))
	// (1): ReLU()
	// (2): MaxPool2d(kernel_size=2)
	// (3): Conv2d(32, 64, kernel_size=(3, 3), padding=(1, 1))
	// (4): ReLU()
	// (5): MaxPool2d(kernel_size=2)
	// (6): Flatten()
	// (7): Linear(in_features=3136, out_features=10)
	// 0.weight [32 1 3 3]
	// 0.bias [32]
	// 3.weight [64 32 3 3]
	// 3.bias [64]
	// 7.weight [10 3136]
	// 7.bias [10]
	// 50186 parameters
}

// Feature maps are what each conv layer sees in the image, after its ReLU:
// 32 maps of 28×28 after the first, 64 of 14×14 after the second (the
// pooling between them halves the size).
func ExampleNet_FeatureMaps() {
	n, _ := mnist.NewNet("reference", 1)
	img := make([]float32, mnist.Pixels)
	for _, fm := range n.FeatureMaps(img) {
		fmt.Printf("%s: %d maps of %dx%d\n", fm.Layer, fm.C, fm.H, fm.W)
	}
	// Output:
	// conv1: 32 maps of 28x28
	// conv2: 64 maps of 14x14
}

// Training is a loop of Steps, one minibatch each; Evaluate measures the
// test set whenever you like. (Not run by go test: it needs the MNIST
// files and a minute.)
func ExampleTrainer() {
	dir, err := mnist.Locate("", os.Getenv) // -mnist flag, $MNIST_DIR, Go module cache
	if err != nil {
		fmt.Println(err) // says what to run
		return
	}
	train, test, err := mnist.LoadDir(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	tr, err := mnist.NewTrainer(mnist.TrainConfig{Net: "small", Optimizer: "adam", LR: 0.001, BatchSize: 100, Seed: 1}, train, test)
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		p := tr.Step() // one minibatch: forward, loss, backward, Adam
		if p.Step%100 == 0 {
			fmt.Printf("step %d, epoch %d (%.0f%%), loss %.3f\n", p.Step, p.Epoch, 100*p.EpochProgress, p.RunningLoss)
		}
		if p.Epoch == 2 && p.EpochProgress == 1 {
			break
		}
	}
	e := tr.Evaluate(0) // 0: the whole test set
	fmt.Printf("test accuracy %.1f%%\n", 100*e.Accuracy)
	if err := tr.Net().Save("small.safetensors"); err != nil {
		fmt.Println(err)
	}
}
