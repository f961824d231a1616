package web

import "strings"

// browserSummary names the browser and system a User-Agent header describes, as a person would
// ("Firefox 132 on Linux"), for the list of a member's sessions; the raw header, which few can
// read, stays in the cell's title. Anything it does not recognise is shown cut to a readable length.
func browserSummary(ua string) string {
	browser := ""
	// Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"}, {"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"}, {"CriOS/", "Chrome"}, {"Chrome/", "Chrome"}, {"Version/", "Safari"},
		{"curl/", "curl"},
	} {
		if i := strings.Index(ua, b.token); i >= 0 {
			browser = b.name
			if v := majorVersion(ua[i+len(b.token):]); v != "" {
				browser += " " + v
			}
			break
		}
	}
	if browser == "" {
		if r := []rune(strings.TrimSpace(ua)); len(r) > 60 {
			return string(r[:60]) + "…"
		}
		return strings.TrimSpace(ua)
	}
	for _, s := range []struct{ token, name string }{
		{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"}, {"Windows", "Windows"}, {"CrOS", "ChromeOS"},
		{"Mac OS X", "macOS"}, {"Macintosh", "macOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, s.token) {
			return browser + " on " + s.name
		}
	}
	return browser
}

// majorVersion is the leading run of digits of a version ("132.0.1" gives "132").
func majorVersion(s string) string {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return s[:n]
}
