package httprelation

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePort(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int // 0: rejected
	}{
		{"plain", "8080", 8080},
		{"lowest", "1", 1},
		{"highest", "65535", 65535},
		{"leading zeros", "0080", 80},
		{"empty", "", 0},
		{"zero", "0", 0},
		{"too big", "65536", 0},
		{"way too big", "99999", 0},
		{"negative", "-1", 0},
		{"plus sign", "+80", 0},
		{"leading space", " 80", 0},
		{"trailing newline", "80\n", 0},
		{"exponent", "1e3", 0},
		{"hex", "0x50", 0},
		{"decimal point", "80.0", 0},
		{"full-width digits", "８０", 0},
		{"thirty digits", strings.Repeat("9", 30), 0},
		{"name", "http", 0},
		{"json quoted", `"8080"`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePort(tt.in)
			if tt.want == 0 {
				require.ErrorIs(t, err, ErrInvalidPort)
				assert.Zero(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCheckPort(t *testing.T) {
	for _, n := range []int{1, 80, 65535} {
		assert.NoError(t, CheckPort(n), n)
	}
	for _, n := range []int{0, -1, 65536, 1 << 40} {
		assert.ErrorIs(t, CheckPort(n), ErrInvalidPort, n)
	}
}

func TestCheckAddress(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"ipv4", "10.0.0.1", true},
		{"ipv6", "2001:db8::1", true},
		{"ipv6 loopback", "::1", true},
		{"ipv4-mapped ipv6", "::ffff:10.0.0.1", true},
		{"dns name", "web-0.example.com", true},
		{"single label", "backend", true},
		{"loopback name", "localhost", false},
		{"upper case", "Blog.Internal", true},
		{"digit-led label", "0web.example", true},
		{"63-char label", strings.Repeat("a", 63) + ".example", true},
		{"253 chars", strings.Repeat(strings.Repeat("a", 62)+".", 4)[:252] + "b", true},
		{"empty", "", false},
		{"newline", "web\nevil", false},
		{"carriage return", "web\r", false},
		{"nul", "web\x00", false},
		{"tab", "web\t1", false},
		{"space", "web 1", false},
		{"semicolon", "web;reboot", false},
		{"double quote", `web"`, false},
		{"single quote", "web'", false},
		{"template", "{{web}}", false},
		{"command substitution", "$(id)", false},
		{"bracketed ipv6", "[::1]", false},
		{"host and port", "host:80", false},
		{"url", "http://x", false},
		{"non-ascii", "wéb.example", false},
		{"254 chars", strings.Repeat("a.", 127), false},
		{"64-char label", strings.Repeat("a", 64) + ".example", false},
		{"empty label", "web..example", false},
		{"trailing dot", "web.example.", false},
		{"leading dot", ".web", false},
		{"leading hyphen", "-web", false},
		{"trailing hyphen", "web-", false},
		{"underscore", "web_1", false},
		{"ipv6 zone", "fe80::1%eth0", false},
		{"numeric not an ip", "999.1.1.1", false},
		{"ipv4 leading zeros", "010.0.0.1", false},
		{"all digits", "12345", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAddress(tt.in)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrInvalidAddress)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	assert.Equal(t, `"web\nevil"`, Quote("web\nevil"))
	long := Quote(strings.Repeat("x", 1000))
	assert.Equal(t, `"`+strings.Repeat("x", 64)+`"...(1000 bytes)`, long)
	assert.NotContains(t, Quote("a\r\nb\x00"), "\n")
}

func TestHostAddr(t *testing.T) {
	assert.Equal(t, "10.0.0.1:80", Host{Hostname: "10.0.0.1", Port: 80}.Addr())
	assert.Equal(t, "[2001:db8::1]:8080", Host{Hostname: "2001:db8::1", Port: 8080}.Addr())
	assert.Equal(t, "web.example:443", Host{Hostname: "web.example", Port: 443}.Addr())
}

func TestRelationNumberAndAppName(t *testing.T) {
	assert.Equal(t, "3", RelationNumber("website:3"))
	assert.Equal(t, "3", RelationNumber("3"))
	assert.Equal(t, "12", RelationNumber("my:endpoint:12"))
	for _, bad := range []string{"", "website:", "website", "website:x", "website:-1", "website:" + strings.Repeat("9", 30)} {
		assert.Empty(t, RelationNumber(bad), bad)
	}
	assert.Equal(t, "web", AppName("web/0"))
	for _, bad := range []string{"", "web", "/0", "web/"} {
		assert.Empty(t, AppName(bad), bad)
	}
}

func TestHookContextRules(t *testing.T) {
	departed := HookContext{HookName: "website-relation-departed", RelationID: "website:3", DepartingUnit: "web/1"}
	assert.True(t, departed.IsDeparting("website:3", "web/1"))
	assert.True(t, departed.IsDeparting("3", "web/1"), "only the relation number counts")
	assert.False(t, departed.IsDeparting("website:4", "web/1"))
	assert.False(t, departed.IsDeparting("website:3", "web/0"))
	assert.False(t, departed.IsBroken("website:3"))

	localLeaving := HookContext{HookName: "website-relation-departed", RelationID: "website:3", RemoteUnit: "web/2", DepartingUnit: "proxy/0"}
	assert.True(t, localLeaving.IsDeparting("website:3", "web/2"), "the hook's remote unit drops when the local unit leaves")
	assert.False(t, localLeaving.IsDeparting("website:3", "web/0"))
	changed := HookContext{HookName: "website-relation-changed", RelationID: "website:3", RemoteUnit: "web/2"}
	assert.False(t, changed.IsDeparting("website:3", "web/2"), "only departed hooks drop units")

	broken := HookContext{HookName: "website-relation-broken", RelationID: "website:3"}
	assert.True(t, broken.IsBroken("website:3"))
	assert.True(t, broken.IsBroken("3"))
	assert.False(t, broken.IsBroken("website:4"))
	assert.False(t, broken.IsBroken(""))
	assert.False(t, HookContext{}.IsBroken("website:3"))
	assert.False(t, HookContext{}.IsDeparting("website:3", ""))
}
