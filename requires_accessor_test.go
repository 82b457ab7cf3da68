package httprelation_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/charmkit/httprelation"
	"github.com/charmkit/httprelation/httprelationtest"
	"github.com/charmkit/httprelation/toolsim"
)

// bulk is an accessor that can read bags in bulk, counting how it is used.
// It hands the bags over last to first: the library must not depend on a
// reader's order.
type bulk struct {
	*httprelationtest.Model
	readUnits, unitData int
	fail                map[string]error // unit → error ReadUnits reports for it
	skip, twice         bool             // hand over one bag too few, or one twice
}

var _ httprelation.BulkReader = (*bulk)(nil)

func (b *bulk) UnitData(ctx context.Context, id, unit string) (map[string]string, error) {
	b.unitData++
	return b.Model.UnitData(ctx, id, unit)
}

func (b *bulk) ReadUnits(ctx context.Context, refs []httprelation.UnitRef, fn func(int, map[string]string, error) error) error {
	b.readUnits++
	for i := len(refs) - 1; i >= 0; i-- {
		if b.skip && i == 0 {
			continue
		}
		bag, err := b.Model.UnitData(ctx, refs[i].RelationID, refs[i].Unit)
		if e := b.fail[refs[i].Unit]; e != nil {
			bag, err = nil, e
		}
		if err := fn(i, bag, err); err != nil {
			return err
		}
		if b.twice {
			if err := fn(i, bag, err); err != nil {
				return err
			}
		}
	}
	return nil
}

// failing makes one accessor method fail.
type failing struct {
	*httprelationtest.Model
	method string
	err    error
}

func (f failing) HookContext(ctx context.Context) (httprelation.HookContext, error) {
	if f.method == "HookContext" {
		return httprelation.HookContext{}, f.err
	}
	return f.Model.HookContext(ctx)
}

func (f failing) RelationIDs(ctx context.Context, endpoint string) ([]string, error) {
	if f.method == "RelationIDs" {
		return nil, f.err
	}
	return f.Model.RelationIDs(ctx, endpoint)
}

func (f failing) RelationUnits(ctx context.Context, id string) ([]string, error) {
	if f.method == "RelationUnits" {
		return nil, f.err
	}
	units, err := f.Model.RelationUnits(ctx, id)
	if f.method == "vanish" {
		units = append(units, "web/9") // listed, then gone before it is read
	}
	return units, err
}

func (f failing) UnitData(ctx context.Context, id, unit string) (map[string]string, error) {
	if f.method == "UnitData" && unit == "web/1" {
		return nil, f.err
	}
	return f.Model.UnitData(ctx, id, unit)
}

func twoUnits(t *testing.T) *httprelationtest.Model {
	rels := web(map[string]map[string]string{"web/0": {"private-address": "10.0.0.1", "port": "80"}, "web/1": {"private-address": "10.0.0.2", "port": "80"}})
	rels["reverseproxy:2"] = toolsim.Relation{RemoteApp: "api", Units: map[string]map[string]string{"api/0": {"private-address": "10.0.1.1", "port": "80"}}}
	return httprelationtest.New(t, proxy(rels))
}

func TestServicesBulkReader(t *testing.T) {
	want := services(t, twoUnits(t))
	b := &bulk{Model: twoUnits(t)}
	assert.Equal(t, want, services(t, b))
	assert.Equal(t, 1, b.readUnits)
	assert.Equal(t, 0, b.unitData, "no one-by-one reads next to the bulk read")
	assert.Equal(t, 3, b.CallCount("UnitData"), "the bulk read read every unit")

	t.Run("vanished unit skipped", func(t *testing.T) {
		b := &bulk{Model: twoUnits(t), fail: map[string]error{"web/1": httprelation.ErrUnitNotFound}}
		logger, logged := captureLog(t)
		got, err := httprelation.NewRequires(b, endpoint, httprelation.WithLogger(logger)).Services(context.Background())
		require.NoError(t, err)
		assert.Equal(t, []httprelation.Service{
			{Name: "api", Hosts: []httprelation.Host{h("10.0.1.1", "10.0.1.1", 80)}},
			{Name: "web", Hosts: []httprelation.Host{h("10.0.0.1", "10.0.0.1", 80)}},
		}, got)
		records := logged()
		require.Len(t, records, 1)
		assert.Equal(t, "web/1", records[0]["unit"])
	})
	t.Run("read error returned", func(t *testing.T) {
		boom := errors.New("boom")
		b := &bulk{Model: twoUnits(t), fail: map[string]error{"web/1": boom}}
		_, err := httprelation.NewRequires(b, endpoint, httprelation.WithLogger(quiet)).Services(context.Background())
		require.ErrorIs(t, err, boom)
		assert.Contains(t, err.Error(), "web/1")
	})
	t.Run("a bag not handed over is an error", func(t *testing.T) {
		b := &bulk{Model: twoUnits(t), skip: true}
		_, err := httprelation.NewRequires(b, endpoint, httprelation.WithLogger(quiet)).Services(context.Background())
		require.ErrorContains(t, err, "bulk read of 3 units handed over 2")
	})
	t.Run("a bag handed over twice is an error", func(t *testing.T) {
		b := &bulk{Model: twoUnits(t), twice: true}
		_, err := httprelation.NewRequires(b, endpoint, httprelation.WithLogger(quiet)).Services(context.Background())
		require.ErrorContains(t, err, "twice")
	})
}

func TestServicesAccessorErrors(t *testing.T) {
	boom := errors.New("boom")
	for _, method := range []string{"HookContext", "RelationIDs", "RelationUnits", "UnitData"} {
		t.Run(method, func(t *testing.T) {
			_, err := httprelation.NewRequires(failing{Model: twoUnits(t), method: method, err: boom}, endpoint).Services(context.Background())
			require.ErrorIs(t, err, boom)
			assert.Contains(t, err.Error(), endpoint)
			ok, err := httprelation.NewRequires(failing{Model: twoUnits(t), method: method, err: boom}, endpoint).Available(context.Background())
			require.ErrorIs(t, err, boom)
			assert.False(t, ok)
		})
	}
	t.Run("relation not found", func(t *testing.T) {
		err := fmt.Errorf("relation-list: %w", httprelation.ErrRelationNotFound)
		_, got := httprelation.NewRequires(failing{Model: twoUnits(t), method: "RelationUnits", err: err}, endpoint).Services(context.Background())
		require.ErrorIs(t, got, httprelation.ErrRelationNotFound)
		assert.Contains(t, got.Error(), "reverseproxy:1")
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := httprelation.NewRequires(twoUnits(t), endpoint).Services(ctx)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("unit vanished after listing", func(t *testing.T) {
		m := twoUnits(t)
		logger, logged := captureLog(t)
		got, err := httprelation.NewRequires(failing{Model: m, method: "vanish"}, endpoint, httprelation.WithLogger(logger)).Services(context.Background())
		require.NoError(t, err)
		assert.Equal(t, services(t, twoUnits(t)), got)
		records := logged()
		require.Len(t, records, 2, "web/9 listed in both relations")
		for _, r := range records {
			assert.Equal(t, "web/9", r["unit"])
			assert.Contains(t, r["error"], httprelation.ErrUnitNotFound.Error())
		}
	})
}
