package apperr_test

import (
	"fmt"

	"github.com/convlab/convlab/conv"
	"github.com/convlab/convlab/internal/apperr"
)

// An error meant for the user: a kind (the HTTP layer makes it 409), a
// stable code, and a message from the catalogues in the reader's language.
// The engine's refusals come with their own code and named arguments.
func Example() {
	err := apperr.New(apperr.Conflict, "train_no_run_pause")
	fmt.Println(apperr.KindOf(err) == apperr.Conflict, err.Code)
	fmt.Println(apperr.Message("en", err))
	fmt.Println(apperr.Message("ko", err))

	_, engineErr := conv.Spec{InChannels: 1, OutChannels: 1, KernelSize: [2]int{5, 5}}.Resolve(3, 3)
	e, _ := apperr.As(engineErr)
	fmt.Println(e.Code, e.Param, e.Args[0].Name+"="+e.Args[0].Text)
	fmt.Println(e.Message("ko"))
	// Output:
	// true train_no_run_pause
	// there is no run to pause: press start
	// 일시 정지할 학습이 없습니다: 시작을 누르세요
	// kernel_too_large kernel_size k_h=5
	// 커널 크기(5×5)가 패딩된 입력의 크기(3×3)보다 큽니다
}
