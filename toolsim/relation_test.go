package toolsim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v2"
)

func TestHookSemantics(t *testing.T) {
	tests := []struct {
		name    string
		hookEnv map[string]string
		rel     string
		want    string
	}{{
		name: "changed lists every unit",
		hookEnv: map[string]string{
			"JUJU_HOOK_NAME": "backends-relation-changed", "JUJU_RELATION_ID": "backends:4", "JUJU_REMOTE_UNIT": "shop/0",
		},
		rel: "backends:4", want: `["shop/0","shop/3"]`,
	}, {
		name: "departed drops the departing unit",
		hookEnv: map[string]string{
			"JUJU_HOOK_NAME": "backends-relation-departed", "JUJU_RELATION_ID": "backends:4",
			"JUJU_REMOTE_UNIT": "shop/3", "JUJU_DEPARTING_UNIT": "shop/3",
		},
		rel: "backends:4", want: `["shop/0"]`,
	}, {
		name: "local unit leaving drops the remote unit of the hook",
		hookEnv: map[string]string{
			"JUJU_HOOK_NAME": "backends-relation-departed", "JUJU_RELATION_ID": "backends:4",
			"JUJU_REMOTE_UNIT": "shop/0", "JUJU_DEPARTING_UNIT": "lb/0",
		},
		rel: "backends:4", want: `["shop/3"]`,
	}, {
		name: "departed leaves other relations alone",
		hookEnv: map[string]string{
			"JUJU_HOOK_NAME": "site-relation-departed", "JUJU_RELATION_ID": "site:2",
			"JUJU_REMOTE_UNIT": "shop/3", "JUJU_DEPARTING_UNIT": "shop/3",
		},
		rel: "backends:4", want: `["shop/0","shop/3"]`,
	}, {
		name:    "broken lists no unit",
		hookEnv: map[string]string{"JUJU_HOOK_NAME": "backends-relation-broken", "JUJU_RELATION_ID": "backends:4", "JUJU_REMOTE_APP": "shop"},
		rel:     "backends:4", want: `[]`,
	}, {
		name:    "broken leaves other relations alone",
		hookEnv: map[string]string{"JUJU_HOOK_NAME": "backends-relation-broken", "JUJU_RELATION_ID": "backends:11", "JUJU_REMOTE_APP": "blog"},
		rel:     "4", want: `["shop/0","shop/3"]`,
	}, {
		name:    "outside a relation hook",
		hookEnv: map[string]string{"JUJU_HOOK_NAME": "config-changed"},
		rel:     "backends:4", want: `["shop/0","shop/3"]`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newInProc(t, baseModel(t), tc.hookEnv)
			r := p.run(nil, "relation-list", "--format=json", "-r", tc.rel)
			require.Equal(t, 0, r.exit, r.stderr)
			assert.Equal(t, tc.want+"\n", r.stdout)

			// Whatever is listed, bags stay readable and the relation stays listed.
			assert.Equal(t, "172.20.1.13", p.bag(t, "backends:4", "shop/3")["private-address"])
			ids := p.run(nil, "relation-ids", "--format=json", "backends")
			assert.Equal(t, `["backends:11","backends:4"]`+"\n", ids.stdout)
		})
	}
}

func TestRelationDefaults(t *testing.T) {
	p := newInProc(t, baseModel(t), map[string]string{"JUJU_HOOK_NAME": "install"})
	for _, argv := range [][]string{
		{"relation-list"},
		{"relation-get", "-", "shop/0"},
		{"relation-set", "a=b"},
	} {
		r := p.run(nil, argv...)
		assert.Equal(t, result{"", "ERROR no relation id specified\n", 2}, r, "%q", argv)
	}
	assert.Equal(t, result{"", "ERROR no relation name specified\n", 2}, p.run(nil, "relation-ids"))
	assert.Equal(t, result{"", "ERROR no unit or application specified\n", 2},
		p.run(nil, "relation-get", "-r", "4"))

	p.env["JUJU_RELATION_ID"] = "site:2"
	assert.Equal(t, result{"site:2\n", "", 0}, p.run(nil, "relation-ids"))
	p.env["JUJU_REMOTE_UNIT"] = "edge/0"
	assert.Equal(t, result{"172.20.9.1\n", "", 0}, p.run(nil, "relation-get", "private-address"))

	p.env["JUJU_RELATION_ID"] = "site:9"
	assert.Equal(t, result{"", "ERROR JUJU_RELATION_ID \"site:9\" names no relation of the model\n", 1},
		p.run(nil, "relation-list"))
	assert.Equal(t, 0, p.run(nil, "relation-list", "-r", "2").exit, "an explicit -r does not need the hook's relation")
}

func TestRelationSetRoundTrip(t *testing.T) {
	values := map[string]string{
		"newlines":  "line one\nline two\n",
		"equals":    "a=b=c",
		"quotes":    `say "hi" 'there'`,
		"html":      "<a href='x'>&amp;</a>",
		"unicode":   "héllo ✓",
		"spaces":    "  padded  ",
		"yamlish":   "key: value\n- item",
		"big":       strings.Repeat("0123456789abcdef", 100*1024/16),
		"dashstart": "-r",
	}
	t.Run("key=value arguments", func(t *testing.T) {
		p := newInProc(t, baseModel(t), nil)
		args := []string{"relation-set", "-r", "site:2"}
		for k, v := range values {
			args = append(args, k+"="+v)
		}
		r := p.run(nil, args...)
		require.Equal(t, result{"", "", 0}, r)
		bag := p.bag(t, "site:2", "lb/0")
		for k, v := range values {
			assert.Equal(t, v, bag[k], k)
		}
	})
	t.Run("YAML file on stdin", func(t *testing.T) {
		p := newInProc(t, baseModel(t), nil)
		doc, err := yaml.Marshal(values)
		require.NoError(t, err)
		r := p.run(ptr(string(doc)), "relation-set", "-r", "site:2", "--file", "-")
		require.Equal(t, result{"", "", 0}, r)
		bag := p.bag(t, "site:2", "lb/0")
		for k, v := range values {
			assert.Equal(t, v, bag[k], k)
		}
	})
	t.Run("arguments override the file", func(t *testing.T) {
		p := newInProc(t, baseModel(t), nil)
		r := p.run(ptr("a: from-file\nb: kept\n"), "relation-set", "-r", "2", "--file=-", "a=from-arg")
		require.Equal(t, 0, r.exit, r.stderr)
		bag := p.bag(t, "site:2", "lb/0")
		assert.Equal(t, "from-arg", bag["a"])
		assert.Equal(t, "kept", bag["b"])
	})
}

func TestRelationSetYAMLScalarsStayText(t *testing.T) {
	p := newInProc(t, baseModel(t), nil)
	doc := "yes: yes\noctal: 0755\nfloat: 1.50\nbool: true\nhex: 0x1F\nexp: 1e3\nquoted: \"007\"\n" +
		"tilde: ~\nnull: null\nempty:\nprivate-address: \"\"\n"
	r := p.run(ptr(doc), "relation-set", "-r", "site:2", "--file", "-")
	require.Equal(t, result{"", "", 0}, r)
	assert.Equal(t, map[string]string{
		"yes": "yes", "octal": "0755", "float": "1.50", "bool": "true", "hex": "0x1F", "exp": "1e3", "quoted": "007",
		// null, ~ and "" all mean delete, which removed private-address too
		"ingress-address": "172.20.0.5", "egress-subnets": "172.20.0.5/32",
	}, p.bag(t, "site:2", "lb/0"))
}

func TestRelationSetRejects(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  result
	}{
		{"nested map", "a: {b: c}\n", []string{"--file", "-"}, result{"", "ERROR yaml: unmarshal errors:\n  line 1: cannot unmarshal !!map into string\n", 1}},
		{"sequence", "a:\n- b\n", []string{"--file", "-"}, result{"", "ERROR yaml: unmarshal errors:\n  line 2: cannot unmarshal !!seq into string\n", 1}},
		{"not a map", "hello\n", []string{"--file", "-"}, result{"", "ERROR yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `hello` into map[string]string\n", 1}},
		{"missing file", "", []string{"--file", "/nonexistent/x.yaml"}, result{"", "ERROR open /nonexistent/x.yaml: no such file or directory\n", 1}},
		{"empty key", "", []string{"=v"}, result{"", "ERROR expected \"key=value\", got \"=v\"\n", 2}},
		{"app when not leader", "", []string{"--app", "k=v"}, result{"", "ERROR cannot write relation settings\n", 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newInProc(t, baseModel(t), nil)
			before := p.model(t)
			r := p.run(ptr(tc.stdin), append([]string{"relation-set", "-r", "site:2", "ok=1"}, tc.args...)...)
			assert.Equal(t, tc.want, r)
			assert.Equal(t, before, p.model(t), "a failed call changes nothing")
		})
	}
}

func TestRelationAppData(t *testing.T) {
	m := baseModel(t)
	m.Leader = true
	r := m.Relations["site:2"]
	r.App = map[string]string{"url": "http://edge"}
	m.Relations["site:2"] = r
	p := newInProc(t, m, map[string]string{"JUJU_RELATION_ID": "site:2", "JUJU_REMOTE_APP": "edge"})

	require.Equal(t, result{"", "", 0}, p.run(nil, "relation-set", "--app", "shared=1"))
	assert.Equal(t, map[string]string{"shared": "1"}, p.model(t).Relations["site:2"].LocalApp)
	assert.Equal(t, result{`{"shared":"1"}` + "\n", "", 0}, p.run(nil, "relation-get", "--format=json", "--app", "-", "lb"))
	assert.Equal(t, result{`{"url":"http://edge"}` + "\n", "", 0}, p.run(nil, "relation-get", "--format=json", "--app"))
	assert.Equal(t, result{"http://edge\n", "", 0}, p.run(nil, "relation-get", "--app", "url", "edge/7"))
	assert.Equal(t, result{"", "ERROR permission denied\n", 1}, p.run(nil, "relation-get", "--app", "-", "other"))

	p.env["JUJU_REMOTE_APP"] = ""
	assert.Equal(t, result{"", "ERROR no unit or application specified\n", 2}, p.run(nil, "relation-get", "--app"))
}

func TestRelationGetAccess(t *testing.T) {
	m := baseModel(t)
	r := m.Relations["site:2"]
	r.Units["edge/0"]["html"] = "<b>&</b>"
	m.Relations["site:2"] = r
	p := newInProc(t, m, nil)
	tests := []struct {
		argv []string
		want result
	}{
		{[]string{"-r", "2", "html", "edge/0"}, result{"<b>&</b>\n", "", 0}},
		{[]string{"--format=json", "-r", "2", "html", "edge/0"}, result{`"\u003cb\u003e\u0026\u003c/b\u003e"` + "\n", "", 0}},
		{[]string{"-r", "2", "missing", "edge/0"}, result{"", "", 0}},
		{[]string{"-r", "2", "-", "lb/1"}, result{"", "ERROR cannot read settings for unit \"lb/1\" in relation \"lb:site edge:upstream\": unit \"lb/1\": settings not found\n", 1}},
		{[]string{"-r", "2", "-", "edge"}, result{"", "ERROR expected unit name, got application name \"edge\"\n", 2}},
		{[]string{"-r", "2", "-", "edge/01"}, result{"", "ERROR invalid unit name \"edge/01\"\n", 2}},
		{[]string{"-r", "2", "-", "Edge/0"}, result{"", "ERROR invalid unit name \"Edge/0\"\n", 2}},
		{[]string{"-r", "2", "-", "edge-/0"}, result{"", "ERROR invalid unit name \"edge-/0\"\n", 2}},
		{[]string{"-r", "2", "-", "edge/0/1"}, result{"", "ERROR invalid unit name \"edge/0/1\"\n", 2}},
		{[]string{"-r", "2", "-", ""}, result{"", "ERROR invalid unit name \"\"\n", 2}},
		{[]string{"-r", "2", "-", "my-app2/10"}, result{"", "ERROR permission denied\n", 1}},
		{[]string{"-r", "2", "-", "edge/0", "extra"}, result{"", "ERROR unrecognized args: [\"extra\"]\n", 2}},
		{[]string{"--format=yaml", "-r", "2", "-", "edge/0"}, result{"html: <b>&</b>\ningress-address: 172.20.9.1\nprivate-address: 172.20.9.1\n", "", 0}},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, p.run(nil, append([]string{"relation-get"}, tc.argv...)...), "%q", tc.argv)
	}
}
