# Sourced by bench scripts: CPU time a process (all its threads) spent during a measurement.
# On a 2-core machine shared by the load generator, the proxies and the backend, requests/s
# swing with where the scheduler puts each process (runs of one proxy differ by up to 30 %);
# the proxy's own CPU per request, taken over the same run, is the steadier figure.

# utime + stime of PID in clock ticks (all threads).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# Milliseconds of CPU per 1,000 requests: cpu_ms_per_1k TICKS_BEFORE TICKS_AFTER REQUESTS
cpu_ms_per_1k() {
  awk -v a="$1" -v b="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.1f\n", (n > 0 ? (b - a) * 1000 / hz / (n / 1000) : 0) }'
}

# Requests wrk completed, from its report on stdin ("  123456 requests in 5.00s, ...").
wrk_requests() { awk '$2 == "requests" && $3 == "in" { print $1 }'; }
