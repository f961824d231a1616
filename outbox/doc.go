// Package outbox publishes what local actors do: River workers fan each recorded activity out to the
// distinct inboxes that must receive it and deliver it with a fresh HTTP signature, retrying,
// snoozing or giving up by the response. It implements forum.Federator.
//
// Imports: forum, federation and the internal helpers. Never inbox or web.
package outbox
