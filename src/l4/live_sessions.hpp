#pragma once
// The sessions a worker drives through its ReadinessLoop (they own raw descriptors, not Asio
// objects), so that teardown can end the ones a drain left open. Intrusive, worker-thread only.
#include <cstddef>

namespace fulcrum::l4 {

class LiveSessions {
 public:
  class Member {
   public:
    // Closes the session at once (teardown) and deletes it.
    virtual void terminate() = 0;

   protected:
    virtual ~Member() = default;

   private:
    friend class LiveSessions;
    Member* previous_ = nullptr;
    Member* next_ = nullptr;
  };

  void add(Member& member) {
    member.previous_ = nullptr;
    member.next_ = head_;
    if (head_ != nullptr) head_->previous_ = &member;
    head_ = &member;
    ++size_;
  }
  void remove(Member& member) {
    if (member.previous_ != nullptr) member.previous_->next_ = member.next_;
    else head_ = member.next_;
    if (member.next_ != nullptr) member.next_->previous_ = member.previous_;
    member.previous_ = member.next_ = nullptr;
    --size_;
  }
  // Each terminate() removes its member, so the head moves on.
  void terminate_all() {
    while (head_ != nullptr) head_->terminate();
  }
  size_t size() const { return size_; }

 private:
  Member* head_ = nullptr;
  size_t size_ = 0;
};

}  // namespace fulcrum::l4
