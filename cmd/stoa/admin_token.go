package main

import (
	"context"
	"fmt"
)

func adminTokenCommand() *command {
	return &command{name: "token", summary: "manage personal access tokens", subs: []*command{
		{name: "create", summary: "create an API token for a member and print it (only the token, on one line)", run: adminTokenCreate},
	}}
}

// adminTokenCreate prints the new token alone on stdout, so scripts can capture it:
//
//	TOKEN=$(stoa admin token create --username alice)
//
// Everything else (logs, errors) goes to stderr.
func adminTokenCreate(ctx context.Context, env *runEnv, args []string) error {
	fs := newFlagSet("stoa admin token create", "", "create an API token for a member and print it", env)
	username := fs.String("username", "", "the member the token signs in as")
	name := fs.String("name", "console", "what the token is for (shown on the member's token list)")
	f, pool, err := adminForum(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer pool.Close()
	if *username == "" {
		return fmt.Errorf("--username is required")
	}
	m, err := f.MemberByUsername(ctx, *username)
	if err != nil {
		return err
	}
	_, secret, err := f.CreateAccessToken(ctx, systemViewer, m.ID, *name)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, secret)
	return nil
}
