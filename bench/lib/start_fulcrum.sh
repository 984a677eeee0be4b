# Sourced by the benches that compare Fulcrum with HAProxy or nginx.
#
# start_fulcrum CONFIG [ACCESS_LOG]: starts "$build/fulcrum" on CONFIG in the background, with
# access logs off (or to the file ACCESS_LOG), warnings only and the admin API on a free port,
# and appends its pid to `pids`.
# Under setsid, so that it has a scheduler autogroup of its own, as the daemonized peers have
# (bench/README.md): sharing one with the load generator costs it CPU on a saturated machine.
start_fulcrum() {
  setsid "$build/fulcrum" run -c "$1" --admin-listen 127.0.0.1:0 --access-log "${2:-off}" --log-level warn & pids+=($!)
}
