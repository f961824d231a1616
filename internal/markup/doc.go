// Package markup turns what people write into HTML that is safe to store, show and federate. It
// implements forum.Markup, so the domain never imports a rendering library.
//
// Local posts are Markdown rendered by goldmark with raw HTML off (GFM tables, strikethrough and
// bare-URL links on; a newline is a line break, as in Discourse and Mastodon), then sanitised by
// bluemonday, then given a last pass over the links (links.go). HTML received from other servers
// goes through the same allow-list and the same last pass (SECURITY.md rules 19 and 20).
//
// The pipeline, and why each step exists:
//   - goldmark parses; mention.go adds inline parsers for @user, @user@host and #tag. They are
//     inline parsers, not a regular expression over the output, so they can never fire inside code
//     spans or code blocks (goldmark does not inline-parse those), and a mention inside a link's
//     text renders as plain text.
//   - bluemonday (policy.go) keeps an explicit allow-list of elements and attributes, only http,
//     https and mailto URLs, and only the class names that carry meaning for mentions, hashtags and
//     Mastodon's shortened links.
//   - links.go then makes every link absolute against the public URL (the HTML is federated, and a
//     relative link means nothing on another server), sets rel="nofollow noopener noreferrer ugc"
//     on external links, and drops images whose source is not http(s).
//
// Imports: forum (for its Rendered and Mention types), goldmark, bluemonday and golang.org/x/net.
package markup
