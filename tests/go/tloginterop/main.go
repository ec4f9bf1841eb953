// Command tloginterop is the independent side of clearbox's transparency-log interop test
// (tests/tlog_go_interop_test.sh). It uses only Go's standard library and
// golang.org/x/mod/sumdb/{note,tlog} from Debian's golang-golang-x-mod-dev, and speaks the
// C2SP formats (tlog-tiles paths, entry bundles, tlog-checkpoint, tlog-cosignature,
// tlog-proof) directly from their specifications.
//
//	tloginterop check-log -dir DIR -vkey VKEY [-tree FILE] [-checkpoint FILE]... [-consistency FILE]...
//	                      [-proof FILE -entry FILE]... [-cosigner VKEY]
//	    Verifies a log written by clearbox: the checkpoint's note signature, every tile
//	    (through tlog.TileHashReader), the root, every entry bundle against the tiles, Go's own
//	    inclusion and consistency proofs, and clearbox's proof files.
//	tloginterop make-log -dir DIR -origin ORIGIN -n N -steps S
//	    Writes a log as Go builds it (tlog.StoredHashes, tlog.NewTiles, tlog.ReadTileData,
//	    note.Sign), publishing S checkpoints, and a witness cosignature on the last one.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const tileHeight = 8

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tloginterop: "+format+"\n", args...)
	os.Exit(1)
}

// encodeIndex is the C2SP tile index encoding: 3-digit groups, all but the last with "x".
func encodeIndex(n int64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n >= 1000 {
		n /= 1000
		s = fmt.Sprintf("x%03d/", n%1000) + s
	}
	return s
}

// c2spPath maps an x/mod tile (height 8) to its tlog-tiles path; L == -1 is an entry bundle.
func c2spPath(t tlog.Tile) string {
	level := strconv.Itoa(t.L)
	if t.L == -1 {
		level = "entries"
	}
	p := "tile/" + level + "/" + encodeIndex(t.N)
	if t.W < 1<<tileHeight {
		p += ".p/" + strconv.Itoa(t.W)
	}
	return p
}

type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return tileHeight }
func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(filepath.Join(d.dir, c2spPath(t)))
		if err != nil {
			return nil, err
		}
		if len(data) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("%s: %d bytes, want %d", c2spPath(t), len(data), t.W*tlog.HashSize)
		}
		out[i] = data
	}
	return out, nil
}
func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

type checkpoint struct {
	origin string
	tree   tlog.Tree
	text   string
}

// openCheckpoint verifies a signed checkpoint with x/mod's note.Open and parses its body.
func openCheckpoint(msg []byte, verifiers note.Verifiers) (checkpoint, error) {
	n, err := note.Open(msg, verifiers)
	if err != nil {
		return checkpoint{}, err
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		return checkpoint{}, errors.New("checkpoint has fewer than 3 lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || strconv.FormatInt(size, 10) != lines[1] {
		return checkpoint{}, fmt.Errorf("bad tree size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return checkpoint{}, fmt.Errorf("bad root %q", lines[2])
	}
	return checkpoint{origin: lines[0], tree: tlog.Tree{N: size, Hash: root}, text: n.Text}, nil
}

// readBundle parses a C2SP entry bundle of exactly w entries.
func readBundle(data []byte, w int) ([][]byte, error) {
	var out [][]byte
	for i := 0; i < w; i++ {
		if len(data) < 2 {
			return nil, fmt.Errorf("entry %d: truncated length", i)
		}
		n := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+n {
			return nil, fmt.Errorf("entry %d: truncated", i)
		}
		out = append(out, data[2:2+n])
		data = data[2+n:]
	}
	if len(data) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(data))
	}
	return out, nil
}

// cosigKeyID is the tlog-cosignature key id: SHA-256(name || "\n" || 0x04 || key)[:4].
func cosigKeyID(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n\x04"))
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// cosigVerifier implements note.Verifier for Ed25519 cosignatures (type 0x04), from the spec.
type cosigVerifier struct {
	name string
	id   uint32
	pub  ed25519.PublicKey
}

func (v cosigVerifier) Name() string    { return v.name }
func (v cosigVerifier) KeyHash() uint32 { return v.id }
func (v cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	ts := binary.BigEndian.Uint64(sig)
	m := fmt.Sprintf("cosignature/v1\ntime %d\n", ts) + string(msg)
	return ed25519.Verify(v.pub, []byte(m), sig[8:])
}

func parseCosigVkey(vkey string) (cosigVerifier, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return cosigVerifier{}, errors.New("malformed cosigner vkey")
	}
	key, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) != 33 || key[0] != 0x04 {
		return cosigVerifier{}, errors.New("not an Ed25519 cosigner vkey")
	}
	v := cosigVerifier{name: parts[0], pub: key[1:]}
	v.id = cosigKeyID(v.name, v.pub)
	if fmt.Sprintf("%08x", v.id) != parts[1] {
		return cosigVerifier{}, errors.New("cosigner vkey id mismatch")
	}
	return v, nil
}

// parseProofFile parses a c2sp.org/tlog-proof file: index, inclusion proof, checkpoint.
func parseProofFile(data []byte) (int64, tlog.RecordProof, []byte, error) {
	rest := string(data)
	next := func() (string, bool) {
		i := strings.IndexByte(rest, '\n')
		if i < 0 {
			return "", false
		}
		line := rest[:i]
		rest = rest[i+1:]
		return line, true
	}
	if l, _ := next(); l != "c2sp.org/tlog-proof@v1" {
		return 0, nil, nil, errors.New("not a tlog-proof")
	}
	l, _ := next()
	if strings.HasPrefix(l, "extra ") {
		l, _ = next()
	}
	if !strings.HasPrefix(l, "index ") {
		return 0, nil, nil, errors.New("no index line")
	}
	index, err := strconv.ParseInt(l[6:], 10, 64)
	if err != nil {
		return 0, nil, nil, err
	}
	var proof tlog.RecordProof
	for {
		l, ok := next()
		if !ok {
			return 0, nil, nil, errors.New("no checkpoint")
		}
		if l == "" {
			break
		}
		h, err := tlog.ParseHash(l)
		if err != nil {
			return 0, nil, nil, err
		}
		proof = append(proof, h)
	}
	return index, proof, []byte(rest), nil
}

func checkLog(args []string) {
	fs := flag.NewFlagSet("check-log", flag.ExitOnError)
	dir := fs.String("dir", "", "log directory")
	vkey := fs.String("vkey", "", "log verifier key")
	cosigner := fs.String("cosigner", "", "a witness's cosignature vkey the checkpoint must carry")
	treeFile := fs.String("tree", "", "check the tree of this checkpoint instead of DIR/checkpoint")
	var oldCheckpoints, consistency, proofs, entries multiFlag
	fs.Var(&oldCheckpoints, "checkpoint", "an earlier checkpoint of the log (repeat)")
	fs.Var(&consistency, "consistency", "a consistency proof file 'SIZE1 SIZE2' + hashes (repeat)")
	fs.Var(&proofs, "proof", "a tlog-proof file (repeat, with -entry)")
	fs.Var(&entries, "entry", "the entry file of the -proof at the same position")
	fs.Parse(args)

	v, err := note.NewVerifier(*vkey)
	if err != nil {
		fatalf("vkey: %v", err)
	}
	verifiers := note.VerifierList(v)
	cpFile := filepath.Join(*dir, "checkpoint")
	if *treeFile != "" {
		cpFile = *treeFile
	}
	msg, err := os.ReadFile(cpFile)
	if err != nil {
		fatalf("%v", err)
	}
	cp, err := openCheckpoint(msg, verifiers)
	if err != nil {
		fatalf("checkpoint: %v", err)
	}
	if *cosigner != "" {
		cv, err := parseCosigVkey(*cosigner)
		if err != nil {
			fatalf("cosigner: %v", err)
		}
		n, err := note.Open(msg, note.VerifierList(cv))
		if err != nil {
			fatalf("checkpoint cosignature: %v", err)
		}
		fmt.Printf("ok: checkpoint cosigned by %s\n", n.Sigs[0].Name)
	}
	tree := cp.tree
	hr := tlog.TileHashReader(tree, dirTiles{*dir})
	root, err := tlog.TreeHash(tree.N, hr)
	if err != nil {
		fatalf("tree hash from tiles: %v", err)
	}
	if root != tree.Hash {
		fatalf("tiles give root %v, checkpoint says %v", root, tree.Hash)
	}
	fmt.Printf("ok: checkpoint %s size %d verifies (x/mod note) and its tiles hash to its root (x/mod TileHashReader)\n", cp.origin, tree.N)

	// Every entry bundle against the verified level-0 hashes.
	var leaves []tlog.Hash
	for start := int64(0); start < tree.N; start += 1 << tileHeight {
		w := int(tree.N - start)
		if w > 1<<tileHeight {
			w = 1 << tileHeight
		}
		t := tlog.Tile{H: tileHeight, L: -1, N: start >> tileHeight, W: w}
		data, err := os.ReadFile(filepath.Join(*dir, c2spPath(t)))
		if err != nil {
			fatalf("%v", err)
		}
		es, err := readBundle(data, w)
		if err != nil {
			fatalf("%s: %v", c2spPath(t), err)
		}
		for _, e := range es {
			leaves = append(leaves, tlog.RecordHash(e))
		}
	}
	indexes := make([]int64, len(leaves))
	for i := range leaves {
		indexes[i] = tlog.StoredHashIndex(0, int64(i))
	}
	stored, err := hr.ReadHashes(indexes)
	if err != nil {
		fatalf("leaf hashes: %v", err)
	}
	for i := range leaves {
		if leaves[i] != stored[i] {
			fatalf("entry %d does not hash to its tile entry", i)
		}
	}
	fmt.Printf("ok: all %d entries in the bundles match the level-0 tiles\n", len(leaves))

	// Go's own inclusion proofs over clearbox's tiles.
	step := tree.N/500 + 1
	checked := 0
	for i := int64(0); i < tree.N; i += step {
		p, err := tlog.ProveRecord(tree.N, i, hr)
		if err != nil {
			fatalf("prove record %d: %v", i, err)
		}
		if err := tlog.CheckRecord(p, tree.N, tree.Hash, i, leaves[i]); err != nil {
			fatalf("check record %d: %v", i, err)
		}
		checked++
	}
	fmt.Printf("ok: %d inclusion proofs computed by x/mod from the tiles verify\n", checked)

	for _, f := range oldCheckpoints {
		data, err := os.ReadFile(f)
		if err != nil {
			fatalf("%v", err)
		}
		old, err := openCheckpoint(data, verifiers)
		if err != nil {
			fatalf("%s: %v", f, err)
		}
		p, err := tlog.ProveTree(tree.N, old.tree.N, hr)
		if err != nil {
			fatalf("%s: prove tree: %v", f, err)
		}
		if err := tlog.CheckTree(p, tree.N, tree.Hash, old.tree.N, old.tree.Hash); err != nil {
			fatalf("%s: earlier checkpoint %d is not consistent: %v", f, old.tree.N, err)
		}
	}
	if len(oldCheckpoints) > 0 {
		fmt.Printf("ok: %d earlier checkpoints verify and are consistent with %d (x/mod ProveTree/CheckTree)\n", len(oldCheckpoints), tree.N)
	}

	// clearbox's consistency proofs: "SIZE1 SIZE2\nROOT1\nROOT2\n" then one hash per line.
	for _, f := range consistency {
		data, err := os.ReadFile(f)
		if err != nil {
			fatalf("%v", err)
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		var n1, n2 int64
		fmt.Sscanf(lines[0], "%d %d", &n1, &n2)
		r1, err1 := tlog.ParseHash(lines[1])
		r2, err2 := tlog.ParseHash(lines[2])
		if err1 != nil || err2 != nil {
			fatalf("%s: bad roots", f)
		}
		var p tlog.TreeProof
		for _, l := range lines[3:] {
			h, err := tlog.ParseHash(l)
			if err != nil {
				fatalf("%s: %v", f, err)
			}
			p = append(p, h)
		}
		if err := tlog.CheckTree(p, n2, r2, n1, r1); err != nil {
			fatalf("%s: clearbox's consistency proof %d -> %d fails: %v", f, n1, n2, err)
		}
		fmt.Printf("ok: clearbox consistency proof %d -> %d verifies (x/mod CheckTree)\n", n1, n2)
	}

	if len(proofs) != len(entries) {
		fatalf("give one -entry per -proof")
	}
	for i, f := range proofs {
		data, err := os.ReadFile(f)
		if err != nil {
			fatalf("%v", err)
		}
		entry, err := os.ReadFile(entries[i])
		if err != nil {
			fatalf("%v", err)
		}
		index, p, cpText, err := parseProofFile(data)
		if err != nil {
			fatalf("%s: %v", f, err)
		}
		pcp, err := openCheckpoint(cpText, verifiers)
		if err != nil {
			fatalf("%s: checkpoint: %v", f, err)
		}
		if err := tlog.CheckRecord(p, pcp.tree.N, pcp.tree.Hash, index, tlog.RecordHash(entry)); err != nil {
			fatalf("%s: inclusion proof of %s at %d fails: %v", f, entries[i], index, err)
		}
	}
	if len(proofs) > 0 {
		fmt.Printf("ok: %d clearbox tlog-proof files verify (x/mod note.Open + CheckRecord)\n", len(proofs))
	}
}

func writeFile(path string, data []byte) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		fatalf("%v", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		fatalf("%v", err)
	}
}

func makeLog(args []string) {
	fs := flag.NewFlagSet("make-log", flag.ExitOnError)
	dir := fs.String("dir", "", "output log directory")
	origin := fs.String("origin", "", "checkpoint origin and key name")
	n := fs.Int64("n", 1000, "entries")
	steps := fs.Int64("steps", 4, "checkpoints to publish")
	fs.Parse(args)

	skey, vkey, err := note.GenerateKey(rand.Reader, *origin)
	if err != nil {
		fatalf("%v", err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		fatalf("%v", err)
	}
	var stored []tlog.Hash
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	var bundle []byte
	published := int64(0)
	var text string
	var signed []byte
	for i := int64(0); i < *n; i++ {
		entry := []byte(fmt.Sprintf("go entry %d", i))
		hashes, err := tlog.StoredHashes(i, entry, hr)
		if err != nil {
			fatalf("%v", err)
		}
		stored = append(stored, hashes...)
		var l [2]byte
		binary.BigEndian.PutUint16(l[:], uint16(len(entry)))
		bundle = append(bundle, l[:]...)
		bundle = append(bundle, entry...)
		size := i + 1
		full := size%(1<<tileHeight) == 0
		last := size == *n || size%(*n / *steps + 1) == 0
		if full || last {
			w := int((size-1)%(1<<tileHeight)) + 1
			t := tlog.Tile{H: tileHeight, L: -1, N: (size - 1) >> tileHeight, W: w}
			writeFile(filepath.Join(*dir, c2spPath(t)), bundle)
			if full {
				bundle = nil
			}
		}
		if !last {
			continue
		}
		for _, t := range tlog.NewTiles(tileHeight, published, size) {
			data, err := tlog.ReadTileData(t, hr)
			if err != nil {
				fatalf("%v", err)
			}
			writeFile(filepath.Join(*dir, c2spPath(t)), data)
		}
		root, err := tlog.TreeHash(size, hr)
		if err != nil {
			fatalf("%v", err)
		}
		text = fmt.Sprintf("%s\n%d\n%s\n", *origin, size, base64.StdEncoding.EncodeToString(root[:]))
		signed, err = note.Sign(&note.Note{Text: text}, signer)
		if err != nil {
			fatalf("%v", err)
		}
		writeFile(filepath.Join(*dir, "checkpoint"), signed)
		writeFile(filepath.Join(*dir+"-checkpoints", fmt.Sprintf("checkpoint.%d", size)), signed)
		published = size
	}
	// A witness cosignature on the last checkpoint, built from the tlog-cosignature spec.
	wpub, wpriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		fatalf("%v", err)
	}
	wname := "witness.go.example"
	id := cosigKeyID(wname, wpub)
	const ts = 1767139200
	sig := ed25519.Sign(wpriv, []byte(fmt.Sprintf("cosignature/v1\ntime %d\n", ts)+text))
	var raw bytes.Buffer
	binary.Write(&raw, binary.BigEndian, id)
	binary.Write(&raw, binary.BigEndian, uint64(ts))
	raw.Write(sig)
	cosigned := string(signed) + "— " + wname + " " + base64.StdEncoding.EncodeToString(raw.Bytes()) + "\n"
	writeFile(filepath.Join(*dir+"-checkpoints", "checkpoint.cosigned"), []byte(cosigned))
	wvkey := fmt.Sprintf("%s+%08x+%s", wname, id, base64.StdEncoding.EncodeToString(append([]byte{0x04}, wpub...)))
	writeFile(*dir+".vkey", []byte(vkey+"\n"))
	writeFile(*dir+".witness-vkey", []byte(wvkey+"\n"))
	fmt.Println(vkey)
}

func main() {
	if len(os.Args) < 2 {
		fatalf("usage: tloginterop check-log|make-log ...")
	}
	switch os.Args[1] {
	case "check-log":
		checkLog(os.Args[2:])
	case "make-log":
		makeLog(os.Args[2:])
	default:
		fatalf("unknown command %q", os.Args[1])
	}
}
