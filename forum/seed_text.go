package forum

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Text for seeded forums: titles and Markdown that read like a forum about running software
// (the kind Stoa's own users would write), with the Markdown a real forum sees: emphasis, inline
// code, links, @mentions, #hashtags, lists, fenced code, quotes and the odd table. Everything is
// drawn from the generator's random source, so a seed is reproducible.

var (
	seedFirstNames = []string{"ada", "alan", "alice", "amara", "anton", "aria", "ben", "bianca", "carlos", "chen",
		"chloe", "dario", "dmitri", "elena", "emil", "fatima", "felix", "grace", "hana", "hugo", "ines", "ivan",
		"jade", "jonas", "kai", "karin", "lars", "leila", "liam", "lucia", "malik", "maria", "mateo", "mei",
		"nadia", "nils", "noor", "olga", "omar", "paula", "pedro", "priya", "quinn", "rafael", "rosa", "sam",
		"sara", "sofia", "tariq", "tess", "theo", "uma", "victor", "vera", "wei", "yara", "yusuf", "zoe"}
	seedLastNames = []string{"abbott", "bauer", "costa", "dubois", "eriksen", "fischer", "garcia", "haddad",
		"ito", "jansen", "kowalski", "larsen", "moreau", "nakamura", "okafor", "petrov", "quiroga", "rossi",
		"schmidt", "tanaka", "ueda", "varga", "weber", "xu", "yilmaz", "zhang", "novak", "silva", "murphy", "berg"}

	seedThings = []string{"the nightly backup", "PostgreSQL", "the reverse proxy", "nginx", "Caddy",
		"federation with Mastodon", "the search index", "email notifications", "the Docker image", "systemd",
		"TLS certificates", "the RSS feed", "image uploads", "the mobile layout", "dark mode", "the admin panel",
		"rate limiting", "the job queue", "WebFinger", "the thread list", "Markdown tables", "keyboard shortcuts",
		"the API token", "a Raspberry Pi", "the migration script", "disk usage", "memory usage", "the cron job",
		"Lemmy communities", "GoToSocial", "the link preview", "two-factor sign-in", "the sitemap", "the CDN",
		"the load balancer", "log rotation", "the firewall", "IPv6", "the DNS records", "the Helm chart"}
	seedVerbs = []string{"configure", "migrate", "debug", "speed up", "back up", "restore", "secure", "monitor",
		"automate", "upgrade", "move", "test", "replace", "disable", "tune", "document", "shrink", "scale"}
	seedContexts = []string{"on Debian 12", "behind nginx", "in Kubernetes", "on a 2 GB VPS", "with PostgreSQL 16",
		"on ARM", "without Docker", "behind Cloudflare", "on a home server", "after the last upgrade",
		"with Caddy", "on FreeBSD", "in a Proxmox container", "with an external SMTP relay", "on NixOS"}
	seedSymptoms = []string{"fails with a timeout", "stopped working", "uses 100% CPU", "returns a 502",
		"is very slow", "crashes on start", "logs a permission error", "never finishes", "leaks memory",
		"shows the wrong time zone", "sends duplicate mails", "loses its settings"}
	seedVersions  = []string{"1.4", "2.0", "2.1.3", "3.0-rc1", "0.19", "16.2", "1.25", "4.2.1", "5.0"}
	seedHashtags  = []string{"selfhosting", "postgresql", "fediverse", "homelab", "linux", "backup", "security", "performance", "docker", "nginx"}
	seedFeelings  = []string{"Thanks", "Thank you", "Great, thanks", "Many thanks", "Cheers"}
	seedOpinions  = []string{"I would", "I'd rather", "You could", "Better to", "My advice:"}
	seedTitleForm = []string{
		"How do I %[1]s %[2]s %[3]s?", "%[4]s %[5]s %[3]s", "[Solved] %[4]s %[5]s", "Best way to %[1]s %[2]s?",
		"Thoughts on %[2]s?", "Question about %[2]s and %[6]s", "Is it possible to %[1]s %[2]s without %[6]s?",
		"%[4]s %[5]s after upgrading to %[7]s", "Guide: %[1]s %[2]s %[3]s", "Can't %[1]s %[2]s %[3]s",
		"Feature request: %[1]s %[2]s from the admin panel", "Why does %[2]s %[5]s?", "%[4]s vs %[6]s %[3]s",
		"Release %[7]s: %[2]s improvements", "Help: %[2]s %[5]s", "Tips for %[2]s %[3]s",
	}
	seedSentences = []string{
		"I tried to %[1]s %[2]s %[3]s, but it %[5]s.",
		"Since version %[7]s, %[2]s %[5]s for me.",
		"Has anyone managed to %[1]s %[2]s %[3]s?",
		"The logs say nothing useful, only that %[2]s %[5]s.",
		"%[9]s %[1]s %[2]s first and only then touch %[6]s.",
		"It works fine %[3]s, so I suspect %[6]s.",
		"We run the same setup %[3]s and %[2]s has been stable for months.",
		"Did you check whether %[6]s is involved?",
		"This is a known issue with %[2]s, fixed in %[7]s.",
		"Restarting %[6]s makes it go away for a day or two.",
		"I would not %[1]s %[2]s by hand; the documentation has a script for it.",
		"Same here, %[2]s %[5]s every night at about 3 am.",
		"Could you post your configuration for %[2]s?",
		"The trick is to %[1]s %[6]s before %[2]s starts.",
		"After I moved %[2]s to a bigger disk the problem disappeared.",
		"Keep an eye on %[6]s while you %[1]s %[2]s.",
		"There is an open ticket about %[2]s; adding your details there would help.",
		"I wrote a small script to %[1]s %[2]s, happy to share it.",
		"Honestly, %[2]s is the part of the stack I trust least.",
		"Upgrading to %[7]s fixed it for us.",
	}
	seedShortReplies = []string{
		"%[8]s, that fixed it!", "+1, same problem %[3]s.", "%[8]s for the detailed answer.",
		"Marking this as solved.", "Any news on this?", "Bumping this, still happening with %[7]s.",
		"Good question, I was wondering the same.", "That worked, %[8]s a lot.", "Following.",
		"Can confirm, %[2]s %[5]s here too.",
	}
	seedListItems = []string{"restart %[2]s", "check the logs of %[6]s", "%[1]s %[2]s", "raise the timeout to 60 s",
		"clear the cache", "compare with a fresh install %[3]s", "read the upgrade notes for %[7]s", "disable %[6]s for a test",
		"run the health check", "make a backup first"}
	seedCodeBlocks = []string{
		"```sh\nsudo systemctl restart stoa\njournalctl -u stoa --since \"10 min ago\"\n```",
		"```nginx\nlocation / {\n    proxy_pass http://127.0.0.1:8080;\n    proxy_set_header Host $host;\n    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n}\n```",
		"```yaml\nservices:\n  db:\n    image: postgres:16\n    volumes:\n      - ./data:/var/lib/postgresql/data\n```",
		"```sql\nSELECT pid, state, query FROM pg_stat_activity WHERE state <> 'idle';\n```",
		"```\nERROR: connection refused (dial tcp 127.0.0.1:5432)\nretrying in 5s\n```",
		"```sh\npg_dump -Fc stoa > stoa-$(date +%F).dump\n```",
		"```go\nctx, cancel := context.WithTimeout(ctx, 5*time.Second)\ndefer cancel()\n```",
	}
)

// seedText draws titles and Markdown from a random source. mentionable are usernames a post may
// @mention (they render as links to the members' pages).
type seedText struct {
	r           *rand.Rand
	mentionable []string
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// fill puts slots into a template's numbered verbs (%[1]s ...). Not fmt.Sprintf: templates use
// any subset of the slots, and Sprintf complains about the ones a template leaves out.
func fill(template string, slots []string) string {
	var b strings.Builder
	for {
		i := strings.Index(template, "%[")
		if i < 0 {
			b.WriteString(template)
			return b.String()
		}
		// Every verb is "%[n]s" with n a single digit from 1.
		b.WriteString(template[:i])
		b.WriteString(slots[template[i+2]-'1'])
		template = template[i+5:]
	}
}

// slots fills the numbered verbs of every template: 1 verb, 2 thing, 3 context, 4 Thing (capitalised),
// 5 symptom, 6 another thing, 7 version, 8 thanks, 9 opinion.
func (g *seedText) slots() []string {
	thing := pick(g.r, seedThings)
	other := pick(g.r, seedThings)
	return []string{pick(g.r, seedVerbs), thing, pick(g.r, seedContexts), capitalize(thing), pick(g.r, seedSymptoms),
		other, pick(g.r, seedVersions), pick(g.r, seedFeelings), pick(g.r, seedOpinions)}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// title is a thread title.
func (g *seedText) title() string {
	t := fill(pick(g.r, seedTitleForm), g.slots())
	return normalizeTitle(strings.ReplaceAll(t, "  ", " "))
}

// sentence is one sentence, sometimes with inline Markdown.
func (g *seedText) sentence() string {
	s := fill(pick(g.r, seedSentences), g.slots())
	switch g.r.IntN(12) {
	case 0:
		s += " See https://docs.example.org/" + pick(g.r, seedVerbs) + " for details."
	case 1:
		if len(g.mentionable) > 0 {
			s = "@" + pick(g.r, g.mentionable) + " " + s
		}
	case 2:
		s += " #" + pick(g.r, seedHashtags)
	case 3:
		s = strings.Replace(s, "PostgreSQL", "**PostgreSQL**", 1)
		s += " The setting is `max_connections`."
	case 4:
		s += " [The upgrade notes](https://example.org/releases/" + pick(g.r, seedVersions) + ") mention it."
	case 5:
		s = "*Edit:* " + s
	}
	return s
}

func (g *seedText) paragraph(sentences int) string {
	parts := make([]string, sentences)
	for i := range parts {
		parts[i] = g.sentence()
	}
	return strings.Join(parts, " ")
}

// piece is a block of Markdown that always starts with a paragraph (or a quote or heading), never
// with a list: pieces joined with a blank line then render exactly as each piece does on its own
// (two lists separated only by a blank line would merge into one).
func (g *seedText) piece() string {
	switch k := g.r.IntN(100); {
	case k < 18:
		return fill(pick(g.r, seedShortReplies), g.slots())
	case k < 58:
		return g.paragraph(1 + g.r.IntN(4))
	case k < 70:
		var b strings.Builder
		b.WriteString(g.paragraph(1) + "\n\n")
		bullet := "- "
		n := 2 + g.r.IntN(4)
		for i := range n {
			if g.r.IntN(3) == 0 && i == 0 {
				bullet = ""
			}
			item := fill(pick(g.r, seedListItems), g.slots())
			if bullet == "" {
				fmt.Fprintf(&b, "%d. %s", i+1, item)
			} else {
				b.WriteString(bullet + item)
			}
			if i < n-1 {
				b.WriteString("\n")
			}
		}
		return b.String()
	case k < 80:
		return g.paragraph(1) + "\n\n" + pick(g.r, seedCodeBlocks)
	case k < 90:
		return "> " + g.sentence() + "\n\n" + g.paragraph(1+g.r.IntN(2))
	case k < 94:
		return "### " + capitalize(pick(g.r, seedVerbs)) + " " + pick(g.r, seedThings) + "\n\n" + g.paragraph(2)
	case k < 97:
		return g.paragraph(1) + "\n\n| setting | before | after |\n| --- | --- | --- |\n| workers | 4 | 8 |\n| timeout | 30 s | 60 s |"
	default:
		return "~~" + g.sentence() + "~~ " + g.paragraph(1)
	}
}

// displayName is a member's display name; username a handle derived from it.
func (g *seedText) person() (username, displayName string) {
	first, last := pick(g.r, seedFirstNames), pick(g.r, seedLastNames)
	displayName = capitalize(first) + " " + capitalize(last)
	switch g.r.IntN(3) {
	case 0:
		username = first + "_" + last
	case 1:
		username = first + last[:1]
	default:
		username = first
	}
	return username, displayName
}
