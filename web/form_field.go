package web

import (
	"strconv"

	"github.com/a-h/templ"
)

// field describes one labelled input of a form.
type field struct {
	Label        string
	Name         string
	Type         string // text, email, password, url, date, ...
	Value        string
	Autocomplete string
	Hint         string
	Problem      string
	Required     bool
	MaxLength    int
}

func (f field) id() string        { return "f-" + f.Name }
func (f field) hintID() string    { return f.id() + "-hint" }
func (f field) problemID() string { return f.id() + "-problem" }

// attrs are the input's attributes, with the hint and the problem wired to it for screen readers.
func (f field) attrs() templ.Attributes {
	a := templ.Attributes{"id": f.id(), "name": f.Name, "type": f.Type}
	if f.Type == "" {
		a["type"] = "text"
	}
	if f.Type != "password" && f.Value != "" {
		a["value"] = f.Value
	}
	if f.Autocomplete != "" {
		a["autocomplete"] = f.Autocomplete
	}
	if f.Required {
		a["required"] = true
	}
	if f.MaxLength > 0 {
		a["maxlength"] = strconv.Itoa(f.MaxLength)
	}
	described := ""
	if f.Hint != "" {
		described = f.hintID()
	}
	if f.Problem != "" {
		a["aria-invalid"] = "true"
		if described != "" {
			described += " "
		}
		described += f.problemID()
	}
	if described != "" {
		a["aria-describedby"] = described
	}
	return a
}

// textareaAttrs are attrs without the ones a textarea does not take.
func (f field) textareaAttrs(rows int) templ.Attributes {
	a := f.attrs()
	delete(a, "type")
	delete(a, "value")
	a["rows"] = strconv.Itoa(rows)
	return a
}
