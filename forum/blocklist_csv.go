package forum

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Blocklist files: Mastodon's CSV export (the format every shared list uses, and the one Stoa
// exports), and the plain lists of one domain per line that some lists are published as.
//
//	#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate
//	bad.example,suspend,true,true,Harassment,false
//
// Headers are read with or without their '#', in any order; columns Stoa does not know are
// ignored, missing ones take Mastodon's defaults (severity suspend, flags false). Each bad row is
// reported with its line and skipped; the rest stand.

// Blocklist bounds: a file, its rows.
const (
	MaxBlocklistBytes   = 4 << 20
	MaxBlocklistEntries = 50_000
)

// BlocklistProblem is a row of a blocklist that was skipped, and why.
type BlocklistProblem struct {
	Line    int
	Text    string
	Problem string
}

// ErrBlocklistFormat is returned (wrapped) for a file that cannot be read as a blocklist at all.
var ErrBlocklistFormat = errors.New("not a blocklist")

// blocklistColumns are the CSV columns, in the order Stoa writes them.
var blocklistColumns = []string{"#domain", "#severity", "#reject_media", "#reject_reports", "#public_comment", "#obfuscate"}

// ParseBlocklist reads a blocklist file into rules (one per domain: a domain listed twice keeps
// the stricter of its rows) and the rows it skipped. An error means the whole file is unusable.
func (f *Forum) ParseBlocklist(data []byte) ([]DomainRule, []BlocklistProblem, error) {
	if len(data) > MaxBlocklistBytes {
		return nil, nil, Invalid("file", "is larger than %d MiB", MaxBlocklistBytes>>20)
	}
	if !utf8.Valid(data) {
		return nil, nil, fmt.Errorf("%w: not UTF-8 text", ErrBlocklistFormat)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	p := &blocklistParser{f: f, byDomain: map[string]int{}}
	var err error
	if looksLikeCSV(data) {
		err = p.csv(data)
	} else {
		err = p.plain(data)
	}
	if err != nil {
		return nil, nil, err
	}
	return p.rules, p.problems, nil
}

// looksLikeCSV reports whether the first line that is not blank is a CSV header naming a domain
// column.
func looksLikeCSV(data []byte) bool {
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.ToLower(strings.TrimSpace(line))
		if line == "" {
			continue
		}
		first, _, _ := strings.Cut(line, ",")
		first = strings.Trim(first, `" `)
		return first == "#domain" || first == "domain"
	}
	return false
}

type blocklistParser struct {
	f        *Forum
	rules    []DomainRule
	problems []BlocklistProblem
	byDomain map[string]int
}

func (p *blocklistParser) csv(data []byte) error {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBlocklistFormat, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimPrefix(strings.ToLower(strings.TrimSpace(h)), "#")] = i
	}
	if _, ok := col["domain"]; !ok {
		return fmt.Errorf("%w: no #domain column", ErrBlocklistFormat)
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var perr *csv.ParseError
			if errors.As(err, &perr) {
				p.problems = append(p.problems, BlocklistProblem{Line: perr.Line, Problem: perr.Err.Error()})
				continue
			}
			return fmt.Errorf("%w: %v", ErrBlocklistFormat, err)
		}
		line, _ := r.FieldPos(0)
		field := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if err := p.row(line, strings.Join(rec, ","), field); err != nil {
			return err
		}
	}
}

func (p *blocklistParser) plain(data []byte) error {
	for i, line := range strings.Split(string(data), "\n") {
		text, _, _ := strings.Cut(line, "#")
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if err := p.row(i+1, line, func(name string) string {
			if name == "domain" {
				return text
			}
			return ""
		}); err != nil {
			return err
		}
	}
	return nil
}

// row reads one entry; problems are recorded, an error stops the whole file.
func (p *blocklistParser) row(line int, text string, field func(string) string) error {
	bad := func(format string, args ...any) error {
		p.problems = append(p.problems, BlocklistProblem{Line: line, Text: clipText(text, 200), Problem: fmt.Sprintf(format, args...)})
		return nil
	}
	raw := field("domain")
	if raw == "" {
		return bad("no domain")
	}
	domain, err := p.f.CanonicalDomain(raw)
	if err != nil {
		var v *ValidationError
		if errors.As(err, &v) && len(v.Problems) > 0 {
			return bad("%s", v.Problems[0].Message)
		}
		return err
	}
	severity, err := ParseDomainSeverity(field("severity"))
	if err != nil {
		return bad("severity %q: must be suspend, silence or noop", field("severity"))
	}
	r := DomainRule{Domain: domain, Severity: severity, PublicComment: clipText(field("public_comment"), MaxDomainCommentLen)}
	for _, b := range []struct {
		name string
		to   *bool
	}{{"reject_media", &r.RejectMedia}, {"reject_reports", &r.RejectReports}, {"obfuscate", &r.Obfuscate}} {
		if *b.to, err = parseCSVBool(field(b.name)); err != nil {
			return bad("%s %q: must be true or false", b.name, field(b.name))
		}
	}
	if i, dup := p.byDomain[domain]; dup {
		p.rules[i] = mergeRules(p.rules[i], r)
		return nil
	}
	if len(p.rules) >= MaxBlocklistEntries {
		return Invalid("file", "has more than %d domains", MaxBlocklistEntries)
	}
	p.byDomain[domain] = len(p.rules)
	p.rules = append(p.rules, r)
	return nil
}

func parseCSVBool(s string) (bool, error) {
	if s == "" {
		return false, nil
	}
	return strconv.ParseBool(strings.ToLower(s))
}

// mergeRules is a rule at least as strict as both: the stricter severity, every flag either sets,
// and the first one's comments where it has them.
func mergeRules(a, b DomainRule) DomainRule {
	out := a
	if b.Limit() > a.Limit() || (b.Limit() == a.Limit() && a.Severity == "") {
		out.Severity = b.Severity
	}
	out.RejectMedia = a.RejectMedia || b.RejectMedia
	out.RejectReports = a.RejectReports || b.RejectReports
	out.Obfuscate = a.Obfuscate || b.Obfuscate
	if out.PublicComment == "" {
		out.PublicComment = b.PublicComment
	}
	if out.PrivateComment == "" {
		out.PrivateComment = b.PrivateComment
	}
	return out
}

// FormatBlocklist writes rules as Mastodon's CSV (domains in full: the export is for admins).
func FormatBlocklist(rules []DomainRule) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(blocklistColumns)
	for _, r := range rules {
		_ = w.Write([]string{r.Domain, string(r.Severity), strconv.FormatBool(r.RejectMedia),
			strconv.FormatBool(r.RejectReports), r.PublicComment, strconv.FormatBool(r.Obfuscate)})
	}
	w.Flush()
	return buf.Bytes()
}

// ExportDomainRules returns the rules in force (the admin's and the subscribed lists', not those an
// allow overrides) as Mastodon's CSV. Admins only.
func (f *Forum) ExportDomainRules(ctx context.Context, by Viewer) ([]byte, error) {
	rules, err := f.DomainRules(ctx, by)
	if err != nil {
		return nil, err
	}
	kept := rules[:0]
	for _, r := range rules {
		if !r.Overridden {
			kept = append(kept, r)
		}
	}
	return FormatBlocklist(kept), nil
}
