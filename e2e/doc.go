// Package e2e holds Stoa's end-to-end tests: real `stoa serve` processes (internal/stoaproc) on
// loopback driven only through their public surfaces. browser_test.go drives Debian's Chromium
// through chromedp, once with JavaScript on and once with it off; the federation scenarios run
// several instances that federate with each other.
package e2e
