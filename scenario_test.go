package httprelation_test

import "github.com/charmkit/httprelation/toolsim"

// ingress is the network of a relation reached on addr: what network-get
// -r answers for it.
func ingress(addr string) *toolsim.Network {
	n := toolsim.NetworkAt(addr)
	return &n
}

// editRelation changes one relation of a model in place.
func editRelation(m *toolsim.Model, id string, edit func(r *toolsim.Relation)) {
	r := m.Relations[id]
	edit(&r)
	m.Relations[id] = r
}
