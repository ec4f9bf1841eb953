// tlog_hashes: the Go reference for clearbox's sequencing benchmark. It computes every stored
// hash of a Merkle tree over the same leaves as bench/tlog_sequencer_benchmark.cc, with
// golang.org/x/mod/sumdb/tlog.StoredHashes (in memory, no I/O), and prints
//
//	entries <n> seconds <s> root <base64>
//
// Leaf i is 256 bytes: SHA-256("clearbox-bench-leaf" || uint64 big-endian i), 8 times.
// Built offline from Debian packages (bench/tlog_bench.sh):
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o tlog_hashes ./bench/go/tlog_hashes
package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

func leaf(i int64) []byte {
	var seed [19 + 8]byte
	copy(seed[:], "clearbox-bench-leaf")
	binary.BigEndian.PutUint64(seed[19:], uint64(i))
	block := sha256.Sum256(seed[:])
	out := make([]byte, 0, 256)
	for k := 0; k < 8; k++ {
		out = append(out, block[:]...)
	}
	return out
}

func main() {
	n := flag.Int64("entries", 1000000, "number of leaves")
	flag.Parse()

	leaves := make([][]byte, *n)
	for i := range leaves {
		leaves[i] = leaf(int64(i))
	}
	stored := make([]tlog.Hash, 0, tlog.StoredHashCount(*n))
	reader := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			out[i] = stored[x]
		}
		return out, nil
	})

	start := time.Now()
	for i := int64(0); i < *n; i++ {
		hashes, err := tlog.StoredHashes(i, leaves[i], reader)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		stored = append(stored, hashes...)
	}
	root, err := tlog.TreeHash(*n, reader)
	elapsed := time.Since(start)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("entries %d seconds %.6f root %s\n", *n, elapsed.Seconds(),
		base64.StdEncoding.EncodeToString(root[:]))
}
