// Package gencache keeps values read at one generation of their source and serves them only
// while that generation is still the current one.
//
// The generation is the caller's: a counter that moves whenever anything the values were read
// from may have changed (forum.PageGeneration). The cache does not track which value depends on
// what; a new generation drops every value at once. That is coarse, and exact: a value is never
// served after a change it could have missed. A value is kept only if it was made at the
// generation the caller read before making it, and the caller checks that the generation did not
// move while it was made (Put's gen is that earlier reading).
package gencache
