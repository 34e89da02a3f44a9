package server

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"

	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/internal/quiz"
	"github.com/convlab/convlab/views"
	"github.com/labstack/echo/v4"
)

// The quiz (/quiz): exercises made by internal/quiz from the conv engine.
// A question is a function of (kind, seed), so nothing is stored: the
// check makes the question again and compares. The page works without
// script (the form sends ?answer= and the page shows the feedback);
// static/js/quiz.js checks in place through POST /api/quiz/check.

// nextQuizURL is the next question: the next seed, or a random one after
// the last seed (quiz.Next never wraps).
func nextQuizURL(q *quiz.Question) string {
	if next, ok := quiz.Next(q.Seed); ok {
		return "/quiz?kind=" + q.Kind + "&seed=" + strconv.FormatUint(next, 10)
	}
	return "/quiz?kind=" + q.Kind
}

// quizQuestion reads kind and seed (a random seed when none is given).
func quizQuestion(kind, seed string) (*quiz.Question, error) {
	if kind == "" {
		kind = quiz.KindSize
	}
	var s uint64
	if seed == "" {
		s = rand.Uint64() % 1_000_000
	} else {
		v, err := strconv.ParseUint(seed, 10, 64)
		if err != nil || v > quiz.MaxSeed {
			return nil, apperr.New(apperr.Invalid, "quiz_seed", apperr.A("max", uint64(quiz.MaxSeed))).WithParam("seed")
		}
		s = v
	}
	q, err := quiz.New(kind, s)
	if errors.Is(err, quiz.ErrKind) {
		return nil, apperr.New(apperr.Invalid, "quiz_kind").WithParam("kind")
	}
	return q, err
}

// quizPrompt is the question in words, in the request's language.
func quizPrompt(ctx context.Context, q *quiz.Question) string {
	switch q.Kind {
	case quiz.KindSize:
		return i18n.T(ctx, "quiz.q.size", q.Input, q.Kernel, q.Stride, q.Padding, q.Dilation)
	case quiz.KindCell:
		return i18n.T(ctx, "quiz.q.cell", q.OutY+1, q.OutX+1, q.Stride, q.Padding)
	default:
		return i18n.T(ctx, "quiz.q.padding", q.Input, q.Kernel, q.Dilation)
	}
}

// quizResult is the answer to a check.
type quizResult struct {
	Correct     bool   `json:"correct"`
	Answer      string `json:"answer"`      // the right answer
	Message     string `json:"message"`     // "Right!" / "Not quite: the answer is 8."
	Explanation string `json:"explanation"` // how it is worked out, with the numbers
	ConvURL     string `json:"conv_url"`    // the same convolution on the visualizer
}

// quizCheck checks a typed answer; err is an *apperr.Error for an answer
// that is not a number.
func quizCheck(ctx context.Context, q *quiz.Question, answer string) (quizResult, error) {
	ok, err := q.Check(answer)
	if err != nil {
		return quizResult{}, &apperr.Error{Kind: apperr.Invalid, Code: "quiz_bad_answer", Key: "quiz.bad_answer", Param: "answer", Err: err}
	}
	right := quiz.FormatNum(q.Answer)
	if q.Kind == quiz.KindSize {
		right += "×" + right
	}
	res := quizResult{Correct: ok, Answer: right, ConvURL: q.ConvURL()}
	if ok {
		res.Message = i18n.T(ctx, "quiz.correct")
	} else {
		res.Message = i18n.T(ctx, "quiz.wrong", right)
	}
	switch q.Kind {
	case quiz.KindSize:
		res.Explanation = i18n.T(ctx, "quiz.explain.size", q.SizeFormula())
	case quiz.KindCell:
		res.Explanation = i18n.T(ctx, "quiz.explain.cell", q.Products())
	default:
		res.Explanation = i18n.T(ctx, "quiz.explain.padding", right, q.SizeFormula())
	}
	return res, nil
}

// quizAPI answers GET /api/quiz?kind=&seed= with a question (without its
// answer).
func (a *app) quizAPI(c echo.Context) error {
	q, err := quizQuestion(c.QueryParam("kind"), c.QueryParam("seed"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		*quiz.Question
		Prompt string `json:"prompt"`
	}{q, quizPrompt(c.Request().Context(), q)})
}

// quizCheckAPI answers POST /api/quiz/check {"kind", "seed", "answer"}.
func (a *app) quizCheckAPI(c echo.Context) error {
	var req struct {
		Kind   string  `json:"kind"`
		Seed   *uint64 `json:"seed"`
		Answer string  `json:"answer"`
	}
	if err := readJSON(c, &req); err != nil {
		return err
	}
	if req.Seed == nil {
		return apperr.New(apperr.Invalid, "quiz_seed_missing").WithParam("seed")
	}
	if len(req.Answer) > 64 {
		return apperr.New(apperr.Invalid, "quiz_answer_long").WithParam("answer")
	}
	q, err := quizQuestion(req.Kind, strconv.FormatUint(*req.Seed, 10))
	if err != nil {
		return err
	}
	res, err := quizCheck(c.Request().Context(), q, req.Answer)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// quizPage renders /quiz?kind=&seed=[&answer=].
func (a *app) quizPage(c echo.Context) error {
	ctx := c.Request().Context()
	p := a.page(c, i18n.T(ctx, "quiz.title"), "quiz")
	p.Scripts = []string{"/static/js/quiz.js"}
	p.Styles = []string{"/static/css/classroom.css"}
	kind := c.QueryParam("kind")
	if kind == "" {
		kind = quiz.KindSize
	}
	q, err := quizQuestion(kind, c.QueryParam("seed"))
	if err != nil {
		return err // a page in the reader's language (httpError)
	}
	vm := quizView(ctx, p, q)
	if c.QueryParams().Has("answer") {
		ans := c.QueryParam("answer")
		vm.Answer = ans
		if res, err := quizCheck(ctx, q, ans); err != nil {
			vm.Feedback = &views.QuizFeedback{Error: apperr.Message(p.Lang, err)}
		} else {
			vm.Feedback = &views.QuizFeedback{Correct: res.Correct, Message: res.Message, Explanation: res.Explanation}
			vm.ConvURL = string(p.NavURL(res.ConvURL))
		}
	}
	return render(c, http.StatusOK, views.Quiz(p, vm))
}

func quizView(ctx context.Context, p views.Page, q *quiz.Question) views.QuizView {
	seed := strconv.FormatUint(q.Seed, 10)
	vm := views.QuizView{
		Kind:    q.Kind,
		Seed:    seed,
		Prompt:  quizPrompt(ctx, q),
		NextURL: string(p.NavURL(nextQuizURL(q))),
		Number:  i18n.T(ctx, "quiz.number", seed),
		Data: map[string]any{
			"kind": q.Kind, "seed": q.Seed, "messages": i18n.Messages(p.Lang, "quiz.err."),
		},
	}
	for _, k := range quiz.Kinds {
		vm.Kinds = append(vm.Kinds, views.QuizKind{Label: i18n.T(ctx, "quiz.kind."+k),
			URL: string(p.NavURL("/quiz?kind=" + k)), Current: k == q.Kind})
	}
	switch q.Kind {
	case quiz.KindSize:
		vm.Hint = i18n.T(ctx, "quiz.hint.size")
	case quiz.KindCell:
		vm.Hint = i18n.T(ctx, "quiz.hint.cell")
		vm.Grids = quizGrids(ctx, q)
	case quiz.KindPadding:
		for _, ch := range q.Choices {
			vm.Choices = append(vm.Choices, strconv.Itoa(ch))
		}
	}
	return vm
}

// quizGrids draws a cell question: the input with its zero padding, the
// kernel, and the output with the asked cell marked.
func quizGrids(ctx context.Context, q *quiz.Question) []views.QuizGrid {
	n, p := q.Input, q.Padding
	in := views.QuizGrid{Label: i18n.T(ctx, "quiz.input", n, p), Class: "q-input"}
	for y := -p; y < n+p; y++ {
		var row []views.QuizCell
		for x := -p; x < n+p; x++ {
			if y < 0 || x < 0 || y >= n || x >= n {
				row = append(row, views.QuizCell{Text: "0", Class: "pad"})
			} else {
				row = append(row, views.QuizCell{Text: quiz.FormatNum(q.X[y][x]), Class: "real"})
			}
		}
		in.Rows = append(in.Rows, row)
	}
	k := views.QuizGrid{Label: i18n.T(ctx, "quiz.kernel"), Class: "q-kernel"}
	for _, r := range q.W {
		var row []views.QuizCell
		for _, v := range r {
			row = append(row, views.QuizCell{Text: quiz.FormatNum(v), Class: "k"})
		}
		k.Rows = append(k.Rows, row)
	}
	out := views.QuizGrid{Label: i18n.T(ctx, "quiz.output", q.Out), Class: "q-output"}
	for y := 0; y < q.Out; y++ {
		var row []views.QuizCell
		for x := 0; x < q.Out; x++ {
			if y == q.OutY && x == q.OutX {
				row = append(row, views.QuizCell{Text: "?", Class: "asked", Label: i18n.T(ctx, "quiz.asked")})
			} else {
				row = append(row, views.QuizCell{Text: "", Class: "out"})
			}
		}
		out.Rows = append(out.Rows, row)
	}
	return []views.QuizGrid{in, k, out}
}
