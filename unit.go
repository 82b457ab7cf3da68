package httprelation

import "log/slog"

// Unit is what a charm's hook code needs from the unit it runs on: its
// relations, the store its flags live in, its charm directory and where
// warnings go. Write the hook's work as a function of a Unit and it is
// testable as written: main fills one with the real hook tools (package
// hooktools), a test with an in-memory model (package httprelationtest).
//
//	func main() {
//		acc, err := hooktools.FromEnv()
//		...
//		tools := hooktools.ExecRunner{}
//		err = publish(ctx, httprelation.Unit{
//			Accessor: acc,
//			Store:    hooktools.NewStateStore(tools),
//			CharmDir: hooktools.EnvFromOS().CharmDir,
//			Logger:   slog.New(hooktools.NewLogHandler(tools)),
//		})
//		...
//	}
type Unit struct {
	// Accessor reads and writes the relations.
	Accessor Accessor
	// Store keeps the flags between hooks (see Registry).
	Store Store
	// CharmDir holds the charm's metadata.yaml; "" means the working
	// directory, where Juju runs hooks.
	CharmDir string
	// Logger receives the library's warnings about bad remote data; nil
	// means slog.Default().
	Logger *slog.Logger
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

// OpenProvides is OpenProvides for this unit: the endpoint is checked
// against the charm's metadata and warnings go to u.Logger; opts come
// after that.
func (u Unit) OpenProvides(endpoint string, opts ...Option) (*Provides, error) {
	return OpenProvides(u.dir(), u.Accessor, endpoint, append(u.options(), opts...)...)
}

// OpenRequires is OpenRequires for this unit: the endpoint is checked
// against the charm's metadata and warnings go to u.Logger; opts, such as
// [WithIncrementalView], come after that.
func (u Unit) OpenRequires(endpoint string, opts ...Option) (*Requires, error) {
	return OpenRequires(u.dir(), u.Accessor, endpoint, append(u.options(), opts...)...)
}
