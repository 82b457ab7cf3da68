package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"sync"
)

// The jail's nameserver (resolve_linux_test.go): just enough of RFC 1035
// to answer haproxy's resolver and to record what the C library asks.

// blackHoleDNS answers A queries for names under resolvableZone with
// 127.0.0.1 (and other types with no record), and never answers any other
// name. It records every query as "TYPE name".
type blackHoleDNS struct {
	conn    net.PacketConn
	mu      sync.Mutex
	queries []string
}

func startBlackHoleDNS() (*blackHoleDNS, error) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:53")
	if err != nil {
		return nil, fmt.Errorf("nameserver: %w", err)
	}
	d := &blackHoleDNS{conn: conn}
	go d.serve()
	return d, nil
}

func (d *blackHoleDNS) close() { d.conn.Close() }

func (d *blackHoleDNS) seen() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.queries...)
}

func (d *blackHoleDNS) serve() {
	buf := make([]byte, 4096)
	for {
		n, from, err := d.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		name, qtype, question, ok := parseQuery(buf[:n])
		if !ok {
			continue
		}
		d.mu.Lock()
		d.queries = append(d.queries, typeName(qtype)+" "+name)
		d.mu.Unlock()
		if strings.HasSuffix(name, resolvableZone) {
			_, _ = d.conn.WriteTo(answer(buf[:n], question, qtype), from)
		}
	}
}

// parseQuery reads the first question of a DNS query (RFC 1035 4.1):
// its name in lower case, its type, and its bytes.
func parseQuery(msg []byte) (name string, qtype uint16, question []byte, ok bool) {
	if len(msg) < 12 || msg[2]&0x80 != 0 || binary.BigEndian.Uint16(msg[4:]) < 1 {
		return "", 0, nil, false
	}
	var labels []string
	i := 12
	for i < len(msg) && msg[i] != 0 {
		l := int(msg[i])
		if l > 63 || i+1+l > len(msg) {
			return "", 0, nil, false
		}
		labels = append(labels, string(msg[i+1:i+1+l]))
		i += 1 + l
	}
	if i+5 > len(msg) {
		return "", 0, nil, false
	}
	qtype = binary.BigEndian.Uint16(msg[i+1:])
	return strings.ToLower(strings.Join(labels, ".")), qtype, msg[12 : i+5], true
}

// answer builds the response to query: 127.0.0.1 for an A question, no
// record for any other type.
func answer(query, question []byte, qtype uint16) []byte {
	const typeA = 1
	resp := make([]byte, 12, 12+len(question)+16)
	copy(resp, query[:2])                                                                         // ID
	binary.BigEndian.PutUint16(resp[2:], 0x8000|binary.BigEndian.Uint16(query[2:])&0x7900|0x0080) // QR, opcode, RD; RA
	binary.BigEndian.PutUint16(resp[4:], 1)
	resp = append(resp, question...)
	if qtype == typeA {
		binary.BigEndian.PutUint16(resp[6:], 1)
		resp = append(resp, 0xc0, 12, 0, typeA, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1)
	}
	return resp
}

func typeName(qtype uint16) string {
	switch qtype {
	case 1:
		return "A"
	case 28:
		return "AAAA"
	}
	return fmt.Sprintf("TYPE%d", qtype)
}
