# Sourced by the end-to-end benchmarks. Expects W (a scratch directory), RUNS and die.
# measure NAME CMD...: RUNS timed runs of CMD (GNU time), each after removing $W/out;
# prints "NAME median_wall_s max_rss_kib". An exit status listed in OK_EXIT (default "0") is
# a success (`clearbox audit` exits 1 when it finds something).
measure() {
  local name=$1
  shift
  local walls=() rss=0
  for ((r = 0; r < RUNS; r++)); do
    rm -rf "$W/out"
    local rc=0
    /usr/bin/time -f "%e %M" -o "$W/time" "$@" >/dev/null 2>"$W/stderr" || rc=$?
    [[ " ${OK_EXIT:-0} " == *" $rc "* ]] || die "$name failed ($rc): $(tail -3 "$W/stderr")"
    read -r wall kib <"$W/time"
    walls+=("$wall")
    ((kib > rss)) && rss=$kib
  done
  local median
  median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$name $median $rss"
}
