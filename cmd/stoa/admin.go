package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stoa-forum/stoa/forum"
	"github.com/stoa-forum/stoa/internal/observe"
	"github.com/stoa-forum/stoa/outbox"
)

func adminCommand() *command {
	return &command{name: "admin", summary: "manage members, categories and tokens", subs: []*command{
		{name: "user", summary: "manage members", subs: []*command{
			{name: "create", summary: "create a member", run: adminUserCreate},
			{name: "set-password", summary: "set a member's password (signs them out everywhere)", run: adminUserSetPassword},
		}},
		adminTokenCommand(),
		adminDomainCommand(),
		{name: "category", summary: "manage categories", subs: []*command{
			{name: "create", summary: "create a category", run: adminCategoryCreate},
		}},
		{name: "demo", summary: "on an empty database, create a demo admin, two categories and a welcome thread", run: adminDemo},
	}}
}

// adminForum opens the database and a Forum for a one-shot admin command. The schema must be current:
// admin commands never migrate implicitly.
func adminForum(ctx context.Context, env *runEnv, fs *flag.FlagSet, args []string) (*forum.Forum, *pgxpool.Pool, error) {
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
	// What admin commands do is published like anything else: the fan-out job is inserted with the
	// change, and `stoa serve` works it.
	federator := outbox.NewFederator()
	f, err := newForum(pool, cfg, nil, federator)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	client, err := newInsertOnlyClient(pool)
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("job queue: %w", err)
	}
	federator.Use(client)
	return f, pool, nil
}

// systemViewer is who admin commands act as: the operator at the console is an admin.
var systemViewer = forum.Viewer{Username: "console", Role: forum.RoleAdmin}

func adminUserCreate(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("stoa admin user create", "", "create a member", env)
	username := fs.String("username", "", "handle (1-30 of a-z, 0-9, _)")
	email := fs.String("email", "", "e-mail address")
	password := fs.String("password", "", "password (at least 10 characters)")
	role := fs.String("role", "member", "admin, moderator or member")
	f, pool, err := adminForum(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer pool.Close()
	r, err := forum.ParseRole(*role)
	if err != nil {
		return err
	}
	m, err := f.CreateMember(ctx, forum.NewMember{Username: *username, Email: *email, Password: *password, Role: r})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "created %s %s (id %d)\n", m.Role, m.Username, m.ID)
	return nil
}

func adminUserSetPassword(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("stoa admin user set-password", "", "set a member's password (signs them out everywhere)", env)
	username := fs.String("username", "", "the member's handle")
	password := fs.String("password", "", "the new password (at least 10 characters)")
	f, pool, err := adminForum(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := f.MemberByUsername(ctx, *username)
	if err != nil {
		return err
	}
	if err := f.SetPassword(ctx, m.ID, *password); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "password of %s changed; their sessions were revoked\n", m.Username)
	return nil
}

func adminCategoryCreate(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("stoa admin category create", "", "create a category", env)
	slug := fs.String("slug", "", "handle and URL name (1-30 of a-z, 0-9, _)")
	title := fs.String("title", "", "title")
	description := fs.String("description", "", "description")
	parent := fs.String("parent", "", "slug of the parent category, for a sub-category")
	f, pool, err := adminForum(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer pool.Close()
	in := forum.NewCategory{Slug: *slug, Title: *title, Description: *description}
	if *parent != "" {
		p, err := f.CategoryBySlug(ctx, *parent)
		if err != nil {
			return err
		}
		in.ParentID = &p.ID
	}
	c, err := f.CreateCategory(ctx, systemViewer, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "created category %s (id %d)\n", c.Slug, c.ID)
	return nil
}

// adminDemo is what `make run` calls: on a database with no members it creates an admin with a
// generated password (printed once, never stored in the clear), two categories and a welcome thread.
func adminDemo(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("stoa admin demo", "", "on an empty database, create a demo admin, two categories and a welcome thread", env)
	f, pool, err := adminForum(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer pool.Close()
	n, err := f.CountMembers(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		fmt.Fprintf(env.stdout, "demo: the database already has %d member(s); nothing created\n", n)
		return nil
	}
	password := randomPassword()
	admin, err := f.CreateMember(ctx, forum.NewMember{Username: "demo_admin", Email: "admin@localhost.localdomain", Password: password, Role: forum.RoleAdmin, DisplayName: "Demo admin"})
	if err != nil {
		return err
	}
	var general forum.Category
	for _, c := range []forum.NewCategory{
		{Slug: "general", Title: "General", Description: "Anything that does not fit elsewhere.", Position: 1},
		{Slug: "meta", Title: "Meta", Description: "About this forum: feedback, questions, announcements.", Position: 2},
	} {
		created, err := f.CreateCategory(ctx, admin.Viewer(), c)
		if err != nil {
			return err
		}
		if created.Slug == "general" {
			general = created
		}
	}
	// A first thread, so the demo's pages show a list, a thread and an unread marker at once.
	if _, _, err := f.CreateThread(ctx, admin.Viewer(), forum.NewThread{CategoryID: general.ID, Title: "Welcome to Stoa",
		Body: demoWelcome}); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "demo: created admin %q with password %s (shown once; change it after signing in)\n", admin.Username, password)
	fmt.Fprintln(env.stdout, "demo: created categories general and meta, and a welcome thread in general")
	return nil
}

// demoWelcome is the demo's first post: what to try first.
const demoWelcome = `This is a demo forum. Sign in as **demo_admin** with the password the console printed, then:

- register a second account in another browser and reply here, quote a post, like one;
- open the admin area (categories, members, site settings, federation);
- from a fediverse account, search for ` + "`@general@`" + ` followed by this server's host name, and follow the category.`

func randomPassword() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
