package httprelation

import "log/slog"

// Option configures a [Provides] or [Requires].
type Option func(*options)

type options struct {
	logger *slog.Logger
	view   *viewConfig // WithIncrementalView; Requires only
}

// WithLogger sends the library's warnings (skipped remote entries, for
// instance) to l instead of slog.Default(). In a hook,
// hooktools.NewLogHandler routes them to juju-log.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

func buildOptions(opts []Option) options {
	o := options{logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}
