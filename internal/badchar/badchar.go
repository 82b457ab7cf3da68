// Package badchar names the character an error is about, for messages
// that quote untrusted text: a whole rune with its code point, or a hex
// byte where the text is not UTF-8, never one byte of a multi-byte rune
// read as a Latin-1 character ('Ã' for the first byte of 'é').
package badchar

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Describe names the character s starts with: the rune, quoted and with
// its code point, when s starts with valid UTF-8 ('é' (U+00E9)), else
// its first byte in hex (byte 0xff), which is all there is to say about
// it. s is not empty.
func Describe(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size == 1 {
		return fmt.Sprintf("byte 0x%02x", s[0])
	}
	return fmt.Sprintf("%q (%U)", r, r)
}

// Escape returns s with every rune that a terminal or a log would not
// show as plain text of one line written as a Go escape: controls and
// newlines (\x1b, \n), format characters such as bidi overrides
// (\u202e) and bytes that are not UTF-8 (\xff). Printable text, non-ASCII
// included, stays as it is, so a message keeps its wording; a string
// without such runes is returned as is.
func Escape(s string) string {
	var b strings.Builder
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		invalid := r == utf8.RuneError && size == 1
		if !invalid && (r == ' ' || unicode.IsPrint(r)) {
			i += size
			continue
		}
		b.WriteString(s[done:i])
		if invalid {
			const hex = "0123456789abcdef"
			b.WriteString(`\x`)
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&0xf])
		} else {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
		done = i
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// Prefix returns the first n bytes of s, or fewer so as not to split a
// rune: when a valid rune starts before n and ends after it, the cut
// moves back to its start (at most utf8.UTFMax-1 bytes). Bytes that are
// not UTF-8 are cut where n falls.
func Prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for i := n; i > 0 && i > n-utf8.UTFMax; i-- {
		if !utf8.RuneStart(s[i]) {
			continue
		}
		if r, size := utf8.DecodeRuneInString(s[i:]); i < n && i+size > n && !(r == utf8.RuneError && size == 1) {
			return s[:i]
		}
		break
	}
	return s[:n]
}

// JSON returns err, an error of json.Unmarshal on data, with the
// character it complains about named by Describe. encoding/json names the
// byte where decoding stopped as if it were a rune of its own, so a
// non-ASCII character reads as a different one. Any other error, and one
// whose text is not as expected, is returned as it is; the result
// unwraps to err.
func JSON(err error, data []byte) error {
	se, ok := err.(*json.SyntaxError)
	if !ok || se.Offset < 1 || se.Offset > int64(len(data)) {
		return err
	}
	at := data[se.Offset-1:] // the scanner counts the byte it stopped at
	prefix := "invalid character " + quoteByte(at[0])
	rest, ok := strings.CutPrefix(se.Error(), prefix)
	if !ok {
		return err
	}
	return &syntaxError{msg: "invalid character " + Describe(string(at[:min(len(at), utf8.UTFMax)])) + rest, err: se}
}

// quoteByte spells a byte as encoding/json's syntax errors do.
func quoteByte(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

// syntaxError is a *json.SyntaxError with the character named right.
type syntaxError struct {
	msg string
	err *json.SyntaxError
}

func (e *syntaxError) Error() string { return e.msg }

func (e *syntaxError) Unwrap() error { return e.err }

// MaxQuoted is how much of an untrusted value Quote shows.
const MaxQuoted = 64

// Quote renders an untrusted value for a log line or an error: Go-quoted,
// so control characters and newlines cannot forge lines, and cut to
// MaxQuoted bytes so a huge value cannot flood the log; the cut says how
// long the value was.
func Quote(s string) string {
	if len(s) <= MaxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:MaxQuoted]) + fmt.Sprintf("...(%d bytes)", len(s))
}
