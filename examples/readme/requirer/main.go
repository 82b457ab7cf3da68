// A requirer charm's hook binary: renders the backends behind its relation.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/hooktools"
)

func main() {
	unit, err := hooktools.NewUnit()
	if err == nil {
		err = proxy(context.Background(), unit)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// proxy is the hook's work, for every hook: it renders one nginx upstream
// per remote application into upstreams.conf, in the charm directory,
// when the services behind the relation changed.
func proxy(ctx context.Context, unit httprelation.Unit) error {
	backends, err := unit.OpenRequires("reverseproxy") // metadata.yaml must require it
	if err != nil {
		return err
	}
	services, err := backends.Services(ctx) // validated, de-duplicated, sorted
	if err != nil {
		return err
	}
	flags, err := httprelation.NewRegistry(ctx, unit.Store)
	if err != nil {
		return err
	}
	changed, err := flags.Changed("reverseproxy.services", services) // the data_changed idiom
	if err != nil || !changed {
		return err
	}
	var conf strings.Builder
	for _, svc := range services {
		fmt.Fprintf(&conf, "upstream %s {\n", svc.Name)
		for _, h := range svc.Hosts {
			fmt.Fprintf(&conf, "    server %s;\n", h.PrivateAddr()) // where a proxy connects; IPv6 bracketed
		}
		conf.WriteString("}\n")
	}
	if err := os.WriteFile(filepath.Join(unit.CharmDir, "upstreams.conf"), []byte(conf.String()), 0o644); err != nil {
		return err
	}
	if err := backends.UpdateFlags(ctx, flags); err != nil { // reverseproxy.available
		return err
	}
	return flags.Save(ctx) // only after the new config is in place, so a failed hook retries
}
