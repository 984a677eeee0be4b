# Sourced by bench scripts: CPU time a process (all its threads) spent during a measurement.
# On a 2-core machine shared by the load generator, the proxies and the backend, requests/s
# swing with where the scheduler puts each process (runs of one proxy differ by up to 30 %);
# the proxy's own CPU per request, taken over the same run, is the steadier figure.

# utime + stime of PID in clock ticks (all threads).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# utime (user space) and stime (kernel) of PID in clock ticks, as "USER KERNEL".
cpu_ticks_split() { awk '{ print $14, $15 }' "/proc/$1/stat"; }

# Milliseconds of CPU per 1,000 requests: cpu_ms_per_1k TICKS_BEFORE TICKS_AFTER REQUESTS
cpu_ms_per_1k() {
  awk -v a="$1" -v b="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.1f\n", (n > 0 ? (b - a) * 1000 / hz / (n / 1000) : 0) }'
}

# CPU of the children this shell has waited for, in clock ticks: run the load generator in a
# subshell that ends with `children_cpu_ticks FILE` to have its own CPU time. (`times` must run
# in that shell itself, not in a pipeline: a forked copy has no children.)
children_cpu_ticks() {
  times > "$1"
  awk -v hz="$(getconf CLK_TCK)" 'NR == 2 {
    split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.0f\n", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * hz }' "$1"
}

# Requests wrk completed, from its report on stdin ("  123456 requests in 5.00s, ...").
wrk_requests() { awk '$2 == "requests" && $3 == "in" { print $1 }'; }
