package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stoa-forum/stoa/federation"
	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/observe"
	"github.com/stoa-forum/stoa/outbox"
)

// `stoa admin domain ...`: the console's side of domain moderation, with what the admin pages do
// (forum/domain_block*.go, forum/blocklist*.go). A block from the console bites as one from the
// web does: the domain is refused by every running process at once (the rules' NOTIFY), its
// content hidden, and its queued deliveries cancelled here, after the block commits.

func adminDomainCommand() *command {
	return &command{name: "domain", summary: "block, allow and list other servers; import, export and subscribe to blocklists", subs: []*command{
		{name: "block", usage: "DOMAIN", summary: "block a domain and its subdomains (prints what the block touches)", run: adminDomainBlock},
		{name: "unblock", usage: "DOMAIN", summary: "lift your block of a domain", run: adminDomainUnblock},
		{name: "list", summary: "list the domain rules in force (yours and your subscribed lists')", run: adminDomainList},
		{name: "import", usage: "FILE", summary: "import a Mastodon CSV blocklist (FILE - reads stdin)", run: adminDomainImport},
		{name: "export", summary: "print the rules in force as a Mastodon CSV blocklist", run: adminDomainExport},
		{name: "subscribe", usage: "URL", summary: "subscribe to a CSV blocklist, fetched on a schedule", run: adminDomainSubscribe},
		{name: "allow", usage: "DOMAIN", summary: "allow a domain (allowlist mode; overrides subscribed lists)", run: adminDomainAllow},
		{name: "disallow", usage: "DOMAIN", summary: "remove the allow of a domain", run: adminDomainDisallow},
		{name: "mode", usage: "blocklist|allowlist", summary: "federate with every server not blocked, or only with allowed ones", run: adminDomainMode},
	}}
}

// positional takes a command's one positional argument from the front of args (`stoa admin domain
// block DOMAIN --severity silence`), or from after the flags, as the usage line writes it
// (`[flags] DOMAIN`), which was refused; "-" is stdin, not a flag.
func positional(fs *flag.FlagSet, env *runEnv, args []string, what string) (string, []string, error) {
	if len(args) > 0 && (args[0] == "-" || !strings.HasPrefix(args[0], "-")) {
		return args[0], args[1:], nil
	}
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			return "", args, nil
		}
	}
	if err := fs.Parse(args); err == nil && fs.NArg() == 1 {
		return fs.Arg(0), nil, nil // the flags are set; nothing is left to parse
	}
	fmt.Fprintf(env.stderr, "%s: give the %s first\n", fs.Name(), what)
	fs.Usage()
	return "", nil, errUsage
}

// adminDomainArg takes a command's positional argument (positional) and opens the forum for it
// (adminDomainForum): the opening of every domain command that names one thing.
func adminDomainArg(ctx context.Context, env *runEnv, fs *flag.FlagSet, args []string, what string) (string, *forum.Forum, *pgxpool.Pool, error) {
	arg, rest, err := positional(fs, env, args, what)
	if err != nil {
		return "", nil, nil, err
	}
	f, pool, err := adminDomainForum(ctx, env, fs, rest)
	return arg, f, pool, err
}

// adminDomainForum is adminForum with what domain moderation needs besides: jobs (a subscription
// queues its first fetch) and the outbox's cancellation of a newly blocked domain's deliveries.
func adminDomainForum(ctx context.Context, env *runEnv, fs *flag.FlagSet, args []string) (*forum.Forum, *pgxpool.Pool, error) {
	cfg, err := parseWithConfig(fs, env, args)
	if err != nil {
		return nil, nil, err
	}
	if err := errors.Join(cfg.requireDatabase(), cfg.requireSecret()); err != nil {
		return nil, nil, err
	}
	log, err := observe.NewLogger(env.stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return nil, nil, err
	}
	pool, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*forum.Forum, *pgxpool.Pool, error) {
		pool.Close()
		return nil, nil, err
	}
	jobs := &riverJobs{}
	federator := outbox.NewFederator()
	f, err := newForum(pool, cfg, jobs, federator)
	if err != nil {
		return fail(err)
	}
	policy := federation.NewForumPolicy(f, log)
	fed, err := federation.New(federation.Config{Forum: f, PublicURL: cfg.PublicURL, Policy: policy,
		UnsafeLocal: cfg.UnsafeLocalFederation, HostMap: cfg.UnsafeHostMap, Log: log,
		Software: federation.Software{Name: "stoa", Version: version}})
	if err != nil {
		return fail(fmt.Errorf("federation: %w", err))
	}
	ob, err := newOutbox(cfg, log, f, fed, policy, prometheus.NewRegistry())
	if err != nil {
		return fail(err)
	}
	client, err := newInsertOnlyClient(pool)
	if err != nil {
		return fail(fmt.Errorf("job queue: %w", err))
	}
	jobs.client = client
	federator.Use(client)
	ob.Use(client)
	f.UseDeliveryCanceller(ob)
	return f, pool, nil
}

func adminDomainBlock(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("stoa admin domain block", "DOMAIN", "block a domain and its subdomains", env)
	severity := fs.String("severity", "suspend", "suspend (no federation at all), silence (hidden from lists, shown to followers) or noop (flags only)")
	rejectMedia := fs.Bool("reject-media", false, "refuse the domain's media")
	rejectReports := fs.Bool("reject-reports", false, "refuse the domain's reports")
	public := fs.String("public-comment", "", "comment shown on the public list of moderated servers")
	private := fs.String("private-comment", "", "comment for admins only (and the moderation log)")
	obfuscate := fs.Bool("obfuscate", false, "star part of the domain on the public list")
	dryRun := fs.Bool("dry-run", false, "only print what the block would touch")
	domain, f, pool, err := adminDomainArg(ctx, env, fs, args, "DOMAIN")
	if err != nil {
		return err
	}
	defer pool.Close()
	sev, err := forum.ParseDomainSeverity(*severity)
	if err != nil {
		return err
	}
	in := forum.DomainBlockInput{Domain: domain, Severity: sev, RejectMedia: *rejectMedia, RejectReports: *rejectReports,
		PublicComment: *public, PrivateComment: *private, Obfuscate: *obfuscate}
	radius, err := f.BlastRadius(ctx, systemViewer, in)
	if err != nil {
		return err
	}
	printRadius(env.stdout, radius)
	if *dryRun {
		fmt.Fprintln(env.stdout, "dry run: nothing changed")
		return nil
	}
	res, err := f.BlockDomain(ctx, systemViewer, in)
	if err != nil {
		return err
	}
	printPolicyResult(env, res)
	return nil
}

func adminDomainUnblock(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("stoa admin domain unblock", "DOMAIN", "lift your block of a domain", env)
	reason := fs.String("reason", "", "why (for the moderation log)")
	domain, f, pool, err := adminDomainArg(ctx, env, fs, args, "DOMAIN")
	if err != nil {
		return err
	}
	defer pool.Close()
	res, err := f.UnblockDomain(ctx, systemViewer, domain, *reason)
	if err != nil {
		return err
	}
	printPolicyResult(env, res)
	if v, err := f.DomainVerdict(ctx, mustCanonical(f, domain)); err == nil && v.Limit > forum.LimitNone {
		fmt.Fprintf(env.stdout, "still %s by another rule (a parent domain's block, a subscribed list, or allowlist mode)\n", v.Limit)
	}
	return nil
}

func mustCanonical(f *forum.Forum, domain string) string {
	d, err := f.CanonicalDomain(domain)
	if err != nil {
		return domain
	}
	return d
}

func adminDomainList(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("stoa admin domain list", "", "list the domain rules in force", env)
	f, pool, err := adminDomainForum(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer pool.Close()
	rules, err := f.DomainRules(ctx, systemViewer)
	if err != nil {
		return err
	}
	mode, err := f.FederationMode(ctx)
	if err != nil {
		return err
	}
	if mode == forum.FederateAllowlist {
		fmt.Fprintln(env.stdout, "# allowlist mode: only allowed domains federate")
	}
	w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "DOMAIN\tSEVERITY\tFLAGS\tSOURCE\tPUBLIC COMMENT")
	for _, r := range rules {
		var flags []string
		if r.RejectMedia {
			flags = append(flags, "reject-media")
		}
		if r.RejectReports {
			flags = append(flags, "reject-reports")
		}
		if r.Obfuscate {
			flags = append(flags, "obfuscate")
		}
		if r.Overridden {
			flags = append(flags, "overridden-by-allow")
		}
		source := "local"
		if !r.Local() {
			source = r.SubscriptionURL
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Domain, r.Severity, dash(strings.Join(flags, ",")), source, dash(r.PublicComment))
	}
	return w.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func adminDomainImport(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("stoa admin domain import", "FILE", "import a Mastodon CSV blocklist as your own blocks", env)
	dryRun := fs.Bool("dry-run", false, "only print what the import would do, and what it touches")
	file, f, pool, err := adminDomainArg(ctx, env, fs, args, "FILE")
	if err != nil {
		return err
	}
	defer pool.Close()
	data, err := readBlocklistFile(file)
	if err != nil {
		return err
	}
	var plan forum.ImportPlan
	var res forum.DomainPolicyResult
	if *dryRun {
		plan, err = f.PlanBlocklistImport(ctx, systemViewer, data)
	} else {
		plan, res, err = f.ImportBlocklist(ctx, systemViewer, data)
	}
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ACTION\tDOMAIN\tSEVERITY\tNOW")
	for _, r := range plan.Rows {
		now := "-"
		if r.Current != nil {
			now = string(r.Current.Severity)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Action, r.Domain, r.Result.Severity, now)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, p := range plan.Problems {
		fmt.Fprintf(env.stderr, "line %d skipped: %s\n", p.Line, p.Problem)
	}
	fmt.Fprintf(env.stdout, "%d to add, %d to upgrade, %d kept (stricter already), %d covered by a parent domain, %d skipped\n",
		plan.Added, plan.Upgraded, plan.Kept, plan.Covered, len(plan.Problems))
	if *dryRun {
		t := plan.Totals
		fmt.Fprintf(env.stdout, "touches %d accounts, %d follows by %d members, %d follows from there, %d posts in local threads, %d queued deliveries\n",
			t.Accounts, t.LocalFollows, t.LocalFollowers, t.FollowsOfGroups+t.FollowsOfMembers+t.FollowsOfThreads, t.PostsInLocal, t.PendingDeliveries)
		fmt.Fprintln(env.stdout, "dry run: nothing changed")
		return nil
	}
	printPolicyResult(env, res)
	return nil
}

// readBlocklistFile reads a blocklist from a file, or stdin for "-", refusing anything larger
// than forum accepts.
func readBlocklistFile(name string) ([]byte, error) {
	var r io.Reader = os.Stdin
	if name != "-" {
		file, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer file.Close()
		r = file
	}
	data, err := io.ReadAll(io.LimitReader(r, forum.MaxBlocklistBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > forum.MaxBlocklistBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, forum.MaxBlocklistBytes)
	}
	return data, nil
}

func adminDomainExport(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("stoa admin domain export", "", "print the rules in force as a Mastodon CSV blocklist", env)
	f, pool, err := adminDomainForum(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer pool.Close()
	out, err := f.ExportDomainRules(ctx, systemViewer)
	if err != nil {
		return err
	}
	_, err = env.stdout.Write(out)
	return err
}

func adminDomainSubscribe(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("stoa admin domain subscribe", "URL", "subscribe to a CSV blocklist, fetched on a schedule", env)
	priority := fs.Int("priority", forum.DefaultBlocklistPriority, "0-255: the higher list wins where lists disagree about a domain")
	url, f, pool, err := adminDomainArg(ctx, env, fs, args, "URL")
	if err != nil {
		return err
	}
	defer pool.Close()
	sub, err := f.SubscribeBlocklist(ctx, systemViewer, url, *priority)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "subscribed to %s (id %d, priority %d); `stoa serve` fetches it now and every %s\n",
		sub.URL, sub.ID, sub.Priority, forum.BlocklistRefreshEvery)
	return nil
}

// printRadius says what a block touches, before it is applied.
func printRadius(w io.Writer, r forum.BlastRadius) {
	fmt.Fprintf(w, "%s: %s now, %s after\n", r.Domain, r.CurrentLimit, r.ProposedLimit)
	fmt.Fprintf(w, "  %d known accounts, %d remote categories\n", r.Accounts, r.RemoteCategories)
	fmt.Fprintf(w, "  %d local members follow accounts there (%d follows)\n", r.LocalFollowers, r.LocalFollows)
	fmt.Fprintf(w, "  %d accounts there follow local actors (%d categories, %d members, %d threads)\n",
		r.RemoteFollowers, r.FollowsOfGroups, r.FollowsOfMembers, r.FollowsOfThreads)
	fmt.Fprintf(w, "  %d posts in %d local threads, %d likes, %d open reports, %d queued deliveries\n",
		r.PostsInLocal, r.ThreadsInLocal, r.Likes, r.OpenReports, r.PendingDeliveries)
	switch {
	case r.Severs():
		fmt.Fprintln(w, "  follows in both directions are severed (restored if the block is lifted), deliveries cancelled")
	case r.Restores():
		fmt.Fprintf(w, "  %d follows severed by the suspension come back\n", r.SeveredFollows)
	}
}

func printPolicyResult(env *runEnv, res forum.DomainPolicyResult) {
	for _, c := range res.Changes {
		fmt.Fprintf(env.stdout, "%s: %s -> %s\n", c.Domain, c.LimitBefore, c.LimitAfter)
	}
	fmt.Fprintf(env.stdout, "%d domains changed, %d accounts, %d deliveries cancelled\n", len(res.Changes), res.Accounts, res.Cancelled)
	if res.CancelError != nil {
		fmt.Fprintf(env.stderr, "warning: %v (the delivery workers refuse the domain anyway)\n", res.CancelError)
	}
}

func adminDomainAllow(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("stoa admin domain allow", "DOMAIN", "allow a domain and its subdomains", env)
	comment := fs.String("comment", "", "why (shown to admins and in the moderation log)")
	domain, f, pool, err := adminDomainArg(ctx, env, fs, args, "DOMAIN")
	if err != nil {
		return err
	}
	defer pool.Close()
	res, err := f.AllowDomain(ctx, systemViewer, domain, *comment)
	if err != nil {
		return err
	}
	printPolicyResult(env, res)
	return nil
}

func adminDomainDisallow(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("stoa admin domain disallow", "DOMAIN", "remove the allow of a domain", env)
	domain, f, pool, err := adminDomainArg(ctx, env, fs, args, "DOMAIN")
	if err != nil {
		return err
	}
	defer pool.Close()
	res, err := f.DisallowDomain(ctx, systemViewer, domain)
	if err != nil {
		return err
	}
	printPolicyResult(env, res)
	return nil
}

// adminDomainMode switches the federation mode; switching to allowlist mode first prints what it
// cuts off, and --dry-run stops there.
func adminDomainMode(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("stoa admin domain mode", "blocklist|allowlist", "choose whom Stoa federates with", env)
	dryRun := fs.Bool("dry-run", false, "only print what switching to allowlist mode would cut off")
	name, f, pool, err := adminDomainArg(ctx, env, fs, args, "mode (blocklist or allowlist)")
	if err != nil {
		return err
	}
	defer pool.Close()
	mode, err := forum.ParseFederationMode(name)
	if err != nil {
		return err
	}
	if mode == forum.FederateAllowlist {
		radius, err := f.AllowlistBlastRadius(ctx, systemViewer)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%d known servers are not allowed and are cut off:\n", radius.DomainCount)
		for _, d := range radius.Domains {
			fmt.Fprintf(env.stdout, "  %s: %d accounts, %d members following, %d following us, %d posts here\n",
				d.Domain, d.Accounts, d.LocalFollowers, d.RemoteFollowers, d.PostsInLocal)
		}
	}
	if *dryRun {
		fmt.Fprintln(env.stdout, "dry run: nothing changed")
		return nil
	}
	res, err := f.SetFederationMode(ctx, systemViewer, mode)
	if err != nil {
		return err
	}
	printPolicyResult(env, res)
	return nil
}
