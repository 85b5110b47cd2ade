// Package doccheck holds the repository-wide check that every exported name has a doc comment
// (see doccheck_test.go); it has no code of its own.
package doccheck
