package web

import (
	"math"
	"regexp"
	"strconv"
	"testing"
)

// The theme's text colours are readable on its backgrounds in both schemes: WCAG AA's 4.5:1 for
// small text, which the unread counts, "new" markers and badges (--focus) are.
func TestThemeTextColoursHaveContrast(t *testing.T) {
	css, err := staticFS.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile(`:root\s*\{([^}]*)\}`).FindAllSubmatch(css, -1)
	if len(blocks) != 2 {
		t.Fatalf("%d :root blocks, want the light and the dark one", len(blocks))
	}
	varRE := regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6})`)
	for i, block := range blocks {
		scheme := []string{"light", "dark"}[i]
		vars := map[string]string{}
		for _, m := range varRE.FindAllSubmatch(block[1], -1) {
			vars[string(m[1])] = string(m[2])
		}
		for _, fg := range []string{"fg", "muted", "accent", "focus"} {
			for _, bg := range []string{"bg", "card"} {
				if vars[fg] == "" || vars[bg] == "" {
					t.Fatalf("%s scheme: --%s or --%s is not a #rrggbb colour", scheme, fg, bg)
				}
				if r := contrast(vars[fg], vars[bg]); r < 4.5 {
					t.Errorf("%s scheme: --%s %s on --%s %s is %.2f:1, want 4.5:1", scheme, fg, vars[fg], bg, vars[bg], r)
				}
			}
		}
		// The header's count badge is --card on --focus.
		if r := contrast(vars["card"], vars["focus"]); r < 4.5 {
			t.Errorf("%s scheme: the count badge is %.2f:1, want 4.5:1", scheme, r)
		}
	}
}

// contrast is WCAG 2's contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	var l float64
	for i, weight := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			c /= 12.92
		} else {
			c = math.Pow((c+0.055)/1.055, 2.4)
		}
		l += weight * c
	}
	return l
}
