// Package readme holds the Go code of the repository's README, file for
// file: the provider and requirer charms (provider/, requirer/) and their
// tests. Its own tests keep the README's ```go blocks identical to these
// files, and build and test the two charms in a module of their own, as a
// charm author would, with only the public API.
package readme
