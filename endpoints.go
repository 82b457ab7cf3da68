package httprelation

import (
	"context"
	"errors"
	"fmt"
)

// AvailableFlag names the flag raised while an endpoint is usable:
// "<endpoint>.available", as in the Python layer.
func AvailableFlag(endpoint string) string {
	return endpoint + ".available"
}

// UpdateFlags sets AvailableFlag(endpoint) while at least one remote unit
// is joined on any relation of the endpoint, and clears it otherwise.
func (p *Provides) UpdateFlags(ctx context.Context, reg *Registry) error {
	ok, err := p.Available(ctx)
	if err != nil {
		return err
	}
	return toggle(reg, AvailableFlag(p.endpoint), ok)
}

// UpdateFlags sets AvailableFlag(endpoint) while Services is non-empty and
// clears it otherwise: unlike the Python layer, the flag drops when the
// last unit with a port leaves, even if other units remain.
func (r *Requires) UpdateFlags(ctx context.Context, reg *Registry) error {
	ok, err := r.Available(ctx)
	if err != nil {
		return err
	}
	return toggle(reg, AvailableFlag(r.endpoint), ok)
}

func toggle(reg *Registry, flag string, on bool) error {
	if on {
		return reg.Set(flag)
	}
	return reg.Clear(flag)
}

// OpenProvides checks that the charm in charmDir provides endpoint with
// interface "http" (see CheckEndpoint), then returns its Provides.
func OpenProvides(charmDir string, acc Accessor, endpoint string, opts ...Option) (*Provides, error) {
	if err := CheckEndpoint(charmDir, endpoint, RoleProvider); err != nil {
		return nil, err
	}
	return NewProvides(acc, endpoint, opts...), nil
}

// OpenRequires checks that the charm in charmDir requires endpoint with
// interface "http" (see CheckEndpoint), then returns its Requires.
func OpenRequires(charmDir string, acc Accessor, endpoint string, opts ...Option) (*Requires, error) {
	if err := CheckEndpoint(charmDir, endpoint, RoleRequirer); err != nil {
		return nil, err
	}
	return NewRequires(acc, endpoint, opts...), nil
}

// Endpoints are the http endpoints of a charm, by role, in name order.
type Endpoints struct {
	Provides []*Provides
	Requires []*Requires
}

// LoadEndpoints reads the charm metadata in charmDir and returns a
// Provides or Requires for every endpoint whose interface is "http".
func LoadEndpoints(charmDir string, acc Accessor, opts ...Option) (Endpoints, error) {
	eps, err := ReadEndpoints(charmDir)
	if err != nil {
		return Endpoints{}, err
	}
	var e Endpoints
	for _, ep := range eps {
		switch ep.Role {
		case RoleProvider:
			e.Provides = append(e.Provides, NewProvides(acc, ep.Name, opts...))
		case RoleRequirer:
			e.Requires = append(e.Requires, NewRequires(acc, ep.Name, opts...))
		}
	}
	return e, nil
}

// UpdateFlags updates the available flag of every endpoint. It updates as
// many as it can and returns the errors of the others, each naming its
// endpoint.
func (e Endpoints) UpdateFlags(ctx context.Context, reg *Registry) error {
	var errs []error
	for _, p := range e.Provides {
		if err := p.UpdateFlags(ctx, reg); err != nil {
			errs = append(errs, fmt.Errorf("endpoint %q: %w", p.endpoint, err))
		}
	}
	for _, r := range e.Requires {
		if err := r.UpdateFlags(ctx, reg); err != nil {
			errs = append(errs, fmt.Errorf("endpoint %q: %w", r.endpoint, err))
		}
	}
	return errors.Join(errs...)
}
