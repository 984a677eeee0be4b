#pragma once
// OutlierDoorbell: how the data path tells the health monitor, at once, that a target's failures
// in a row just reached its group's `consecutive_failures`. Without it the monitor would see the
// streak at its next outlier tick, up to 100 ms later; a target that hangs keeps taking every
// client's next request meanwhile (a hung target under wrk -c20 cost 40 requests, two rounds of
// the 20 connections, where one round is what was already on it when it hung).
//
// An eventfd: ring() is one write(2), lock-free and safe from any worker, made once per streak
// (when it reaches the threshold, not on every failure). The monitor waits on a duplicate of the
// descriptor in its loop. Shared by every snapshot, so a worker can ring it as long as it holds one.
namespace fulcrum::upstream {

class OutlierDoorbell {
 public:
  OutlierDoorbell();
  ~OutlierDoorbell();
  OutlierDoorbell(const OutlierDoorbell&) = delete;
  OutlierDoorbell& operator=(const OutlierDoorbell&) = delete;

  void ring() const;
  // A new descriptor for the same doorbell, for the monitor's loop to own (-1 if none).
  int duplicate() const;

 private:
  int fd_;
};

}  // namespace fulcrum::upstream
