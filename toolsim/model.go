package toolsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/charmkit/httprelation/internal/relationid"
)

// Model is the state the simulated hook tools answer from. Its JSON form is
// exactly the "model" object of the recorded Juju transcripts, so a
// transcript loads as-is; the fields marked optional are the simulator's
// own additions and are omitted when empty.
type Model struct {
	// Unit is the local unit; JUJU_UNIT_NAME overrides it.
	Unit string `json:"unit"`
	// Leader is what is-leader answers; it also gates application data.
	Leader bool `json:"leader"`
	// CharmDir is the charm's directory, JUJU_CHARM_DIR in the hooks
	// [Sim] runs (optional). A relative path is taken from the working
	// directory of whoever starts the Sim, and made absolute there.
	CharmDir string `json:"charm_dir,omitempty"`
	// Hook is the hook running (optional): what the tools answer for
	// when the environment names no hook, and what [Sim.Run] runs.
	Hook Hook `json:"hook"`
	// Config holds the charm options; numbers keep their JSON text.
	Config map[string]any `json:"config"`
	// LatencyMS is slept by every call, to mimic the agent round trip.
	LatencyMS int `json:"latency_ms"`
	// PrivateAddress and PublicAddress answer unit-get.
	PrivateAddress string `json:"private_address"`
	PublicAddress  string `json:"public_address"`
	// Relations maps relation ids ("endpoint:N") to their state.
	Relations map[string]Relation `json:"relations"`
	// Networks maps binding names to what network-get reports.
	Networks map[string]Network `json:"networks"`
	// State is the charm's server-side state (state-get / state-set).
	State map[string]string `json:"state_get"`

	// Status is the workload status last set by status-set, what
	// status-get answers (optional). Juju sets it at once: a failing
	// hook's stays.
	Status *Status `json:"status,omitempty"`
	// AppStatus is the application status set by status-set --application
	// (optional); likewise set at once.
	AppStatus *Status `json:"app_status,omitempty"`
	// OpenedPorts are the port ranges the unit has opened (open-port,
	// close-port, opened-ports), by endpoint, "*" meaning every endpoint,
	// each in Juju's form: "80/tcp", "8000-8099/udp", "icmp" (optional).
	// As in Juju, a hook's changes are kept only when it succeeds.
	OpenedPorts map[string][]string `json:"opened_ports,omitempty"`
	// WorkloadVersion is the version application-version-set set last
	// (optional). Juju sets it at once: a failing hook's stays.
	WorkloadVersion string `json:"workload_version,omitempty"`
	// LeaderSettings are the application's leader settings (leader-get;
	// leader-set, by the leader only) (optional). Juju writes them at
	// once: a failing hook's stay.
	LeaderSettings map[string]string `json:"leader_settings,omitempty"`
	// GoalUnits and GoalRelations are what goal-state answers (optional,
	// empty when absent): the application's units and their goal status
	// ("active", "waiting", "dying"), and for each endpoint the related
	// units and applications and theirs.
	GoalUnits     map[string]string            `json:"goal_units,omitempty"`
	GoalRelations map[string]map[string]string `json:"goal_relations,omitempty"`
	// MachineID, AvailabilityZone and PrincipalUnit are what the hook
	// environment says of where the unit runs (optional):
	// JUJU_MACHINE_ID ("0" when empty), JUJU_AVAILABILITY_ZONE and
	// JUJU_PRINCIPAL_UNIT (empty, as for a principal unit, when empty).
	MachineID        string `json:"machine_id,omitempty"`
	AvailabilityZone string `json:"availability_zone,omitempty"`
	PrincipalUnit    string `json:"principal_unit,omitempty"`
	// Log collects juju-log lines as "LEVEL message" (optional).
	Log []string `json:"log,omitempty"`
	// Faults make chosen calls misbehave instead of answering (optional;
	// see Fault).
	Faults map[string]Fault `json:"faults,omitempty"`
}

// Relation is one relation of the local unit.
type Relation struct {
	RemoteApp      string `json:"remote_app"`
	RemoteEndpoint string `json:"remote_endpoint"`
	// Local is the local unit's data bag.
	Local map[string]string `json:"local"`
	// Units holds the remote units in scope and their data bags.
	Units map[string]map[string]string `json:"units"`
	// App is the remote application's data bag (optional).
	App map[string]string `json:"app,omitempty"`
	// LocalApp is the local application's data bag, writable by the
	// leader (optional).
	LocalApp map[string]string `json:"local_app,omitempty"`
	// Network is what network-get -r answers for this relation
	// (optional); without it, the answer for the endpoint's binding in
	// the model's networks. Real Juju may answer per relation, on a unit
	// with several networks.
	Network *Network `json:"network,omitempty"`
	// RemoteModelUUID is the model of the remote application, what
	// relation-model-get answers (optional); without it, the local
	// model's (JUJU_MODEL_UUID).
	RemoteModelUUID string `json:"remote_model_uuid,omitempty"`
}

// Network is network-get's answer for one binding. Field order is Juju's
// JSON output order.
type Network struct {
	BindAddresses    []BindAddress `json:"bind-addresses,omitempty"`
	EgressSubnets    []string      `json:"egress-subnets,omitempty"`
	IngressAddresses []string      `json:"ingress-addresses,omitempty"`
}

// BindAddress is one interface of a binding.
type BindAddress struct {
	MACAddress    string             `json:"mac-address"`
	InterfaceName string             `json:"interface-name"`
	Addresses     []InterfaceAddress `json:"addresses"`
}

// InterfaceAddress is one address of an interface.
type InterfaceAddress struct {
	Hostname string `json:"hostname"`
	Value    string `json:"value"`
	CIDR     string `json:"cidr"`
}

// NetworkAt is the network of a binding whose one interface, eth0, has
// the address addr: what network-get reports on a machine with a single
// network, with addr as bind address, ingress address and (as /32, or
// /128 for IPv6) egress subnet.
func NetworkAt(addr string) Network {
	return Network{
		BindAddresses:    []BindAddress{{InterfaceName: "eth0", Addresses: []InterfaceAddress{{Value: addr, CIDR: hostSubnet(addr)}}}},
		EgressSubnets:    []string{hostSubnet(addr)},
		IngressAddresses: []string{addr},
	}
}

// hostSubnet is the subnet of addr alone: addr/32, or addr/128 for IPv6.
func hostSubnet(addr string) string {
	if strings.Contains(addr, ":") {
		return addr + "/128"
	}
	return addr + "/32"
}

// Status is a workload or application status.
type Status struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// loadModel reads a model file under a shared lock, so that it never
// observes a writer's half-done update.
func loadModel(path string) (*Model, error) {
	var m *Model
	err := withLock(path, syscall.LOCK_SH, func() error {
		var err error
		m, err = readModelFile(path)
		return err
	})
	return m, err
}

// WriteFile replaces the model file atomically under the exclusive lock
// that the tools take, so it is safe while simulated tools are running.
func (m *Model) WriteFile(path string) error {
	return withLock(path, syscall.LOCK_EX, func() error { return writeModelFile(path, m) })
}

// ReadModel reads a model file such as a test fixture, and checks it with
// [Model.Validate]. It is the one loader of the model format, for the
// simulator and for httprelationtest alike. It takes no lock, so it leaves
// nothing beside the file; the simulator replaces a model file atomically,
// so ReadModel never sees a write half done.
func ReadModel(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	m, err := parseModel(data)
	if err == nil {
		err = m.Validate()
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// parseModel decodes a model from its JSON form. An unknown field, or
// anything after the model, is an error: a typo in a fixture must not
// silently change what a test sets up.
func parseModel(data []byte) (*Model, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // config numbers print back exactly as written
	dec.DisallowUnknownFields()
	m := new(Model)
	if err := dec.Decode(m); err != nil {
		return nil, fmt.Errorf("decode model: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("decode model: data after the model")
	}
	return m, nil
}

func readModelFile(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	return parseModel(data)
}

// writeModelFile writes through a temporary file and a rename so that a
// reader (even one not taking the lock) sees the old or the new model.
func writeModelFile(path string, m *Model) error {
	var buf bytes.Buffer
	if err := encodeModel(&buf, m, " "); err != nil {
		return fmt.Errorf("encode model: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write model: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write model: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	if err := invalidateCache(path); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	return nil
}

// withLock runs fn holding a flock on a lock file beside the model. The
// model itself cannot carry the lock: the atomic rename replaces its inode.
// A shared lock whose file cannot be opened (read-only directory, missing
// model) is skipped: readers are safe anyway thanks to the atomic rename,
// and the read itself reports a missing model better.
func withLock(path string, how int, fn func() error) error {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		if how == syscall.LOCK_SH {
			return fn()
		}
		return fmt.Errorf("lock model: %w", err)
	}
	defer f.Close()
	fd := int(f.Fd())
	for {
		err = syscall.Flock(fd, how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("lock model: %w", err)
	}
	defer func() { _ = syscall.Flock(fd, syscall.LOCK_UN) }()
	return fn()
}

// findRelation returns the model's key for the relation an id names (see
// relationid.Find).
func (m *Model) findRelation(id string) (string, bool) {
	return relationid.Find(m.Relations, id)
}

// appOf returns the application of a unit name ("web/0" → "web").
func appOf(unit string) string {
	app, _, ok := strings.Cut(unit, "/")
	if !ok {
		return ""
	}
	return app
}
