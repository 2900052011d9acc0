// AddressLru<V>: a hash map from AddressKey to V that also keeps its entries in the order they
// were last touched, so the screens can forget old entries from the front in O(1) each: the
// rate limiter its idle addresses, the pass cache its expired or oldest passes. One node per
// address (the map's own), linked in place: no second container, no allocation beyond the map's.
// Internal; not thread-safe.
#pragma once

#include <cstddef>
#include <unordered_map>
#include <utility>

#include "screen_key.hpp"

namespace ipckit::handoff::detail {

template <class V>
class AddressLru {
 public:
  struct Entry {
    V value{};
    Entry* prev = nullptr;
    Entry* next = nullptr;
    const AddressKey* key = nullptr;  // the map's key of this entry
  };

  AddressLru() = default;
  AddressLru(const AddressLru&) = delete;
  AddressLru& operator=(const AddressLru&) = delete;

  [[nodiscard]] Entry* find(const AddressKey& key) noexcept {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }

  // The entry of `key`, created (value-initialised) if absent, moved to the newest end.
  // Returns the entry and whether it was created.
  std::pair<Entry*, bool> touch(const AddressKey& key) {
    auto [it, created] = map_.try_emplace(key);
    Entry* e = &it->second;
    if (created) {
      e->key = &it->first;
    } else {
      unlink(e);
    }
    link_back(e);
    return {e, created};
  }

  [[nodiscard]] Entry* oldest() const noexcept { return head_; }

  void erase(Entry* e) {
    unlink(e);
    const AddressKey key = *e->key;  // a copy: the node (and its key) dies in erase()
    map_.erase(key);
  }

  void clear() noexcept {
    map_.clear();
    head_ = tail_ = nullptr;
  }

  [[nodiscard]] std::size_t size() const noexcept { return map_.size(); }

 private:
  void unlink(Entry* e) noexcept {
    (e->prev ? e->prev->next : head_) = e->next;
    (e->next ? e->next->prev : tail_) = e->prev;
    e->prev = e->next = nullptr;
  }
  void link_back(Entry* e) noexcept {
    e->prev = tail_;
    e->next = nullptr;
    (tail_ ? tail_->next : head_) = e;
    tail_ = e;
  }

  std::unordered_map<AddressKey, Entry, AddressKeyHash> map_;
  Entry* head_ = nullptr;
  Entry* tail_ = nullptr;
};

}  // namespace ipckit::handoff::detail
