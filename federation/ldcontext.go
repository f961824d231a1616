package federation

// ldContext is the @context of every document Stoa serves or sends. go-fed's streams.Serialize
// writes its own, but it orders the array by map iteration (so bytes change between runs, which
// defeats ETags and makes signatures of stored payloads unstable) and it names
// "http://joinmastodon.org/ns" as a context document, which does not exist and makes JSON-LD
// processors fail. Stoa therefore serializes go-fed types without a context and adds this one: the
// two standard contexts, then each extension term Stoa emits, mapped the way Mastodon, Lemmy and
// GoToSocial map it, so processors that expand JSON-LD and the many that read plain JSON agree.
//
// Every document of the instance shares this one context: posts use Hashtag, sensitive and
// commentsEnabled (PeerTube's term, which Lemmy reads), thread collections link their history with
// Stoa's own contextHistory term.
func ldContext() []any {
	return []any{
		activityStreamsNS,
		"https://w3id.org/security/v1",
		map[string]any{
			"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
			"sensitive":                 "as:sensitive",
			"Hashtag":                   "as:Hashtag",
			"toot":                      "http://joinmastodon.org/ns#",
			"discoverable":              "toot:discoverable",
			"indexable":                 "toot:indexable",
			"featured":                  map[string]any{"@id": "toot:featured", "@type": "@id"},
			"schema":                    "http://schema.org#",
			"PropertyValue":             "schema:PropertyValue",
			"value":                     "schema:value",
			"lemmy":                     "https://join-lemmy.org/ns#",
			"postingRestrictedToMods":   "lemmy:postingRestrictedToMods",
			"pt":                        "https://joinpeertube.org/ns#",
			"commentsEnabled":           "pt:commentsEnabled",
			"stoa":                      stoaNS,
			"contextHistory":            map[string]any{"@id": "stoa:contextHistory", "@type": "@id"},
		},
	}
}

// stoaNS is the namespace of Stoa's own terms (contextHistory).
const stoaNS = "https://stoa-forum.github.io/ns#"
