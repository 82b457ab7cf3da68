package httprelation

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/charmkit/httprelation/internal/badchar"
	"github.com/charmkit/httprelation/internal/charmmeta"
	"github.com/charmkit/httprelation/internal/juju"
)

// Errors of opening an endpoint of a [Unit].
var (
	// ErrNoEndpoint reports an endpoint that the charm's metadata does not
	// declare with interface "http" in the role asked for: a typo, the
	// wrong section, or another interface. The error says what the
	// metadata declares instead.
	ErrNoEndpoint = charmmeta.ErrNoEndpoint
	// ErrInvalidMetadata reports a metadata.yaml or charmcraft.yaml that
	// cannot be read as charm metadata.
	ErrInvalidMetadata = charmmeta.ErrInvalidMetadata
	// ErrInvalidEndpoint reports an endpoint name the library does not
	// serve: one that does not follow Juju's syntax for relation names
	// (a lower-case letter, then lower-case letters and digits, with
	// single '-' or '_' between them), or one longer than 190 bytes, whose
	// available flag and stored view would not fit Juju's limit on charm
	// state keys.
	ErrInvalidEndpoint = errors.New("invalid endpoint name")
)

// Unit is what a charm's hook code needs from the unit it runs on: its
// relations, the store its flags live in, its charm directory and where
// warnings go. Write the hook's work as a function of a Unit and it is
// testable as written: main gets one from hooktools.NewUnit, a test from
// httprelationtest.
//
//	func main() {
//		unit, err := hooktools.NewUnit()
//		if err == nil {
//			err = publish(context.Background(), unit)
//		}
//		...
//	}
type Unit struct {
	// Accessor reads and writes the relations.
	Accessor Accessor
	// Store keeps the flags between hooks (see Registry).
	Store Store
	// CharmDir holds the charm's metadata.yaml or charmcraft.yaml; ""
	// means the working directory, where Juju runs hooks.
	CharmDir string
	// Logger receives the library's warnings about bad remote data; nil
	// means slog.Default().
	Logger *slog.Logger
}

// OpenProvides returns the provider side of endpoint, after checking its
// name (ErrInvalidEndpoint) and that the charm's metadata provides it with
// interface "http" (ErrNoEndpoint otherwise), so that a typo fails the
// first hook instead of silently publishing nothing.
func (u Unit) OpenProvides(endpoint string, opts ...Option) (*Provides, error) {
	if err := u.checkEndpoint(endpoint, charmmeta.RoleProvider); err != nil {
		return nil, err
	}
	return NewProvides(u.Accessor, endpoint, append(u.options(), opts...)...), nil
}

// OpenRequires returns the requirer side of endpoint, after checking its
// name (ErrInvalidEndpoint) and that the charm's metadata requires it with
// interface "http" (ErrNoEndpoint otherwise). Warnings go to u.Logger;
// opts, such as [WithIncrementalView], come after that.
func (u Unit) OpenRequires(endpoint string, opts ...Option) (*Requires, error) {
	if err := u.checkEndpoint(endpoint, charmmeta.RoleRequirer); err != nil {
		return nil, err
	}
	return NewRequires(u.Accessor, endpoint, append(u.options(), opts...)...), nil
}

// checkEndpoint checks endpoint's name, then that the charm's metadata
// declares it in role with interface "http".
func (u Unit) checkEndpoint(endpoint string, role charmmeta.Role) error {
	if err := checkEndpointName(endpoint); err != nil {
		return err
	}
	return charmmeta.CheckEndpoint(u.dir(), endpoint, role)
}

// checkEndpointName applies the library's rule for endpoint names.
func checkEndpointName(endpoint string) error {
	if !juju.ValidEndpoint(endpoint) {
		return fmt.Errorf("endpoint %s: %w: want Juju's syntax for relation names, at most %d bytes",
			badchar.Quote(endpoint), ErrInvalidEndpoint, juju.MaxEndpointName)
	}
	return nil
}

// options makes Provides and Requires log to u.Logger.
func (u Unit) options() []Option {
	if u.Logger == nil {
		return nil
	}
	return []Option{WithLogger(u.Logger)}
}

// dir is CharmDir, or the working directory when it is empty.
func (u Unit) dir() string {
	if u.CharmDir == "" {
		return "."
	}
	return u.CharmDir
}
