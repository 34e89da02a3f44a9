// Package views holds convlab's templ components. Each page has its own
// file (conv.templ, train.templ, ...) and renders inside Layout.
//
// Components take small view models, never domain objects, and get all
// user-visible text from the i18n catalogue (i18n.T(ctx, key)); the
// language is on the context the handler renders with.
package views

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
)

// Page is the layout's view model.
type Page struct {
	Title   string   // page title (already translated); "" shows only "convlab"
	Active  string   // "conv" | "animations" | "train" | "draw" | "" (marks the nav item)
	Lang    string   // "en" | "ko"
	Present bool     // presenter (projector) mode: class "present" on <body>
	Scripts []string // ES module URLs, e.g. "/static/js/stepper.js"
	Styles  []string // extra stylesheet URLs, e.g. "/static/css/conv.css"
	Path    string   // the request path and query without lang/present, for the language links
}

type navItem struct{ ID, Href, Key string }

var navItems = []navItem{
	{"lesson", "/lesson", "nav.lesson"},
	{"conv", "/conv", "nav.conv"},
	{"animations", "/animations", "nav.animations"},
	{"train", "/train", "nav.train"},
	{"draw", "/draw", "nav.draw"},
	{"network", "/network", "nav.network"},
	{"quiz", "/quiz", "nav.quiz"},
}

// withParam returns path (which may hold a query) with key=value set.
func withParam(path, key, value string) string {
	if path == "" {
		path = "/"
	}
	p, q, _ := strings.Cut(path, "?")
	v, err := url.ParseQuery(q)
	if err != nil {
		v = url.Values{}
	}
	if value == "" {
		v.Del(key)
	} else {
		v.Set(key, value)
	}
	if enc := v.Encode(); enc != "" {
		return p + "?" + enc
	}
	return p
}

// LangURL is the current page in another language.
func (p Page) LangURL(lang string) templ.SafeURL {
	u := withParam(p.Path, "lang", lang)
	if p.Present {
		u = withParam(u, "present", "1")
	}
	return templ.SafeURL(u)
}

// NavURL is a link to another part of the app, keeping presenter mode.
func (p Page) NavURL(href string) templ.SafeURL {
	if p.Present {
		return templ.SafeURL(withParam(href, "present", "1"))
	}
	return templ.SafeURL(href)
}

// PresentURL toggles presenter mode on the current page (present=0 turns
// off the mode the server remembers in a cookie).
func (p Page) PresentURL() templ.SafeURL {
	if p.Present {
		return templ.SafeURL(withParam(p.Path, "present", "0"))
	}
	return templ.SafeURL(withParam(p.Path, "present", "1"))
}

func (p Page) current(id string) templ.Attributes {
	if p.Active == id {
		return templ.Attributes{"aria-current": "page"}
	}
	return templ.Attributes{}
}

func (p Page) langCurrent(lang string) templ.Attributes {
	if p.Lang == lang {
		return templ.Attributes{"aria-current": "true"}
	}
	return templ.Attributes{}
}

func (p Page) bodyClass() string {
	if p.Present {
		return "present"
	}
	return ""
}

func (p Page) lang() string {
	if p.Lang == "" {
		return "en"
	}
	return p.Lang
}

// itoa is strconv.Itoa for templates.
func itoa(n int) string { return strconv.Itoa(n) }

// NavIDs lists the menu's parts, in order (for tests).
func NavIDs() []string {
	ids := make([]string, len(navItems))
	for i, it := range navItems {
		ids[i] = it.ID
	}
	return ids
}
