package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/convlab/convlab/animations"
	"github.com/convlab/convlab/i18n"
	"github.com/convlab/convlab/internal/admission"
	"github.com/convlab/convlab/internal/apperr"
	"github.com/convlab/convlab/views"
	"github.com/labstack/echo/v4"
)

// animCacheBytes bounds the memory the rendered GIFs and PNGs may hold.
const animCacheBytes = 32 << 20

// animMaxAge is how long browsers and proxies may keep an image without
// asking again. The ETag changes with animations.Version, so a redrawn
// picture is fetched once the cached copy expires.
const animMaxAge = "public, max-age=86400"

// animQueryKeys are the query parameters of a custom animation.
var animQueryKeys = []string{"input", "kernel", "stride", "padding", "dilation", "output_padding", "transposed", "numbers"}

// animationsPage is GET /animations: the classic set and a form for a
// custom animation (the form's query comes back here; a configuration that
// cannot be animated answers 400 with the message on the page).
func (a *app) animationsPage(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.QueryParams()
	vm := views.AnimationsView{Form: animFormFrom(q)}
	for _, n := range animations.Classic {
		card, err := animCard(ctx, n.Name, n.Params)
		if err != nil {
			return err // the classic set always resolves (tested)
		}
		vm.Classic = append(vm.Classic, card)
	}
	pool, err := poolCards(ctx)
	if err != nil {
		return err // the pooling set always resolves (tested)
	}
	vm.Pooling = pool
	status := http.StatusOK
	if hasAnyKey(q, animQueryKeys) {
		p, err := animations.ParseQuery(q)
		if err == nil {
			_, err = animations.Measure(p)
		}
		if err != nil {
			if !animations.IsUserError(err) {
				return err
			}
			vm.Error = apperr.Message(i18n.Lang(ctx), err) // the reason in the reader's language
			status = http.StatusBadRequest
		} else {
			card, err := animCard(ctx, "", p)
			if err != nil {
				return err
			}
			vm.Preview = &card
		}
	}
	pg := a.page(c, i18n.T(ctx, "anim.title"), "animations")
	pg.Styles = append(pg.Styles, "/static/css/animations.css")
	return render(c, status, views.Animations(pg, vm))
}

// animationFile is GET /animations/:file: <name>.gif, <name>.png (the still
// first frame) for a classic name, or custom.gif / custom.png with the
// parameters in the query. Errors are plain text: they answer an <img> or a
// download, not a page.
func (a *app) animationFile(c echo.Context) error {
	file := c.Param("file")
	dot := strings.LastIndexByte(file, '.')
	if dot < 0 {
		return animText(c, http.StatusNotFound, "no such animation: ask for a name ending in .gif or .png")
	}
	name, ext := file[:dot], file[dot+1:]
	var kind animations.Kind
	switch ext {
	case "gif":
		kind = animations.KindGIF
	case "png":
		kind = animations.KindStill
	default:
		return animText(c, http.StatusNotFound, "no such animation: ask for a name ending in .gif or .png")
	}
	var p animations.Params
	if name == "custom" {
		var err error
		if p, err = animations.ParseQuery(c.QueryParams()); err != nil {
			return animText(c, http.StatusBadRequest, apperr.Message(i18n.Lang(c.Request().Context()), err))
		}
	} else {
		var ok bool
		if p, ok = animations.Lookup(name); !ok {
			return animText(c, http.StatusNotFound, fmt.Sprintf("there is no animation called %q; the classic ones are: %s",
				clipName(name), classicNames()))
		}
	}
	_, err := animations.Measure(p)
	if err != nil {
		if animations.IsUserError(err) {
			return animText(c, http.StatusBadRequest, apperr.Message(i18n.Lang(c.Request().Context()), err))
		}
		return err
	}
	etag := animations.ETag(kind, p)
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", animMaxAge)
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	e, ok := a.animations().Peek(kind, p)
	if !ok {
		// A render is CPU-heavy work: it waits for its turn (admission.go).
		release, berr := a.admit(c)
		if berr != nil {
			h.Del("ETag")
			h.Set("Cache-Control", "no-store")
			return animText(c, http.StatusServiceUnavailable, apperr.Message(i18n.Lang(c.Request().Context()), berr))
		}
		e, err = a.animations().Get(c.Request().Context(), kind, p)
		release()
		if errors.Is(err, animations.ErrClosed) { // the server is shutting down
			h.Del("ETag")
			h.Set("Cache-Control", "no-store")
			return animText(c, http.StatusServiceUnavailable, apperr.Message(i18n.Lang(c.Request().Context()), busyError(c, admission.ErrClosed)))
		}
		if err == nil {
			a.memory.after(len(e.Body)) // give render memory back after a burst (memory.go)
		}
	}
	if err != nil {
		h.Del("ETag")
		h.Del("Cache-Control")
		if animations.IsUserError(err) {
			return animText(c, http.StatusBadRequest, apperr.Message(i18n.Lang(c.Request().Context()), err))
		}
		return err
	}
	ct := "image/gif"
	if kind == animations.KindStill {
		ct = "image/png"
	}
	return c.Blob(http.StatusOK, ct, e.Body)
}

// animations is the app's image cache, made on first use.
func (a *app) animations() *animations.Cache {
	a.animOnce.Do(func() { a.animCache = animations.NewCache(animCacheBytes) })
	return a.animCache
}

// animText answers with a short plain-text message that is never cached.
func animText(c echo.Context, status int, msg string) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	return c.String(status, msg+"\n")
}

// etagMatches reports whether an If-None-Match header names etag ("*", a
// list, weak or strong: If-None-Match compares weakly).
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

func hasAnyKey(q url.Values, keys []string) bool {
	for _, k := range keys {
		if _, ok := q[k]; ok {
			return true
		}
	}
	return false
}

func classicNames() string {
	names := make([]string, len(animations.Classic))
	for i, n := range animations.Classic {
		names[i] = n.Name
	}
	return strings.Join(names, ", ")
}

func clipName(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// animFormFrom fills the form with what the user sent, or the defaults.
func animFormFrom(q url.Values) views.AnimForm {
	f := views.AnimForm{Input: "5", Kernel: "3", Stride: "1", Padding: "0", Dilation: "1", OutputPadding: "0"}
	for _, x := range []struct {
		key string
		dst *string
	}{
		{"input", &f.Input}, {"kernel", &f.Kernel}, {"stride", &f.Stride}, {"padding", &f.Padding},
		{"dilation", &f.Dilation}, {"output_padding", &f.OutputPadding},
	} {
		if v, ok := q[x.key]; ok && len(v) > 0 {
			*x.dst = clipName(v[0])
		}
	}
	for _, x := range []struct {
		key string
		dst *bool
	}{{"transposed", &f.Transposed}, {"numbers", &f.Numbers}} {
		switch strings.ToLower(q.Get(x.key)) {
		case "1", "true", "on", "yes":
			*x.dst = true
		}
	}
	return f
}

func sizeText(v [2]int) string {
	if v[0] == v[1] {
		return fmt.Sprint(v[0])
	}
	return fmt.Sprintf("%d×%d", v[0], v[1])
}

func shapeText(h, w int) string { return fmt.Sprintf("%d×%d", h, w) }

// animCard builds the view of one animation: a classic (name) or a custom
// one (name ""). p must resolve.
func animCard(ctx context.Context, name string, p animations.Params) (views.AnimCard, error) {
	g, err := p.Resolve()
	if err != nil {
		return views.AnimCard{}, err
	}
	info, err := animations.Measure(p)
	if err != nil {
		return views.AnimCard{}, err
	}
	rels, err := p.Relations()
	if err != nil {
		return views.AnimCard{}, err
	}
	n := p.Normalize()
	withNumbers := p
	withNumbers.Numbers = true
	numbersURL := ""
	if _, err := animations.Measure(withNumbers); err == nil && !p.Numbers {
		numbersURL = "/animations?" + withNumbers.Query() + "#anim-custom-h"
	}
	card := views.AnimCard{
		NumbersURL: numbersURL,
		Width:      info.Width, Height: info.Height,
		Frames:  i18n.T(ctx, "anim.frames", info.Frames, info.Width, info.Height),
		ConvURL: p.ConvURL(),
	}
	if name == "" {
		card.ID = "anim-custom"
		card.Title = i18n.T(ctx, "anim.preview")
		card.GIF = "/animations/custom.gif?" + p.Query()
		card.Still = "/animations/custom.png?" + p.Query()
		card.Download = "convlab_" + p.Key() + ".gif"
	} else {
		card.ID = "anim-" + name
		card.Title = i18n.T(ctx, "anim.name."+name)
		card.GIF = "/animations/" + name + ".gif"
		card.Still = "/animations/" + name + ".png"
		card.Download = name + ".gif"
		if p.Transposed {
			card.About = i18n.T(ctx, "anim.about.transposed")
		} else {
			card.About = i18n.T(ctx, "anim.about."+name)
		}
	}
	card.Kind = i18n.T(ctx, "anim.kind.conv")
	altKey := "anim.alt"
	if p.Transposed {
		card.Kind = i18n.T(ctx, "anim.kind.transposed")
		altKey = "anim.alt_transposed"
	}
	card.Alt = i18n.T(ctx, altKey, strings.ToLower(card.Kind), shapeText(n.Kernel[0], n.Kernel[1]),
		shapeText(n.Input[0], n.Input[1]), sizeText(n.Stride), sizeText(n.Padding), sizeText(n.Dilation),
		shapeText(g.OutH, g.OutW))
	card.Params = []views.AnimParam{
		{Label: i18n.T(ctx, "anim.p.input"), Value: shapeText(n.Input[0], n.Input[1])},
		{Label: i18n.T(ctx, "anim.p.kernel"), Value: shapeText(n.Kernel[0], n.Kernel[1])},
		{Label: i18n.T(ctx, "anim.p.stride"), Value: sizeText(n.Stride)},
		{Label: i18n.T(ctx, "anim.p.padding"), Value: sizeText(n.Padding)},
		{Label: i18n.T(ctx, "anim.p.dilation"), Value: sizeText(n.Dilation)},
	}
	if p.Transposed {
		card.Params = append(card.Params, views.AnimParam{Label: i18n.T(ctx, "anim.p.output_padding"), Value: sizeText(n.OutputPadding)})
	}
	card.Params = append(card.Params, views.AnimParam{Label: i18n.T(ctx, "anim.p.output"), Value: shapeText(g.OutH, g.OutW)})
	for i, r := range rels {
		vr := views.AnimRelation{Formula: r.Formula, Dilated: r.Dilated, Filled: r.Filled}
		if len(rels) == 2 {
			vr.Axis = [2]string{"H", "W"}[i]
		}
		card.Relations = append(card.Relations, vr)
	}
	return card, nil
}
