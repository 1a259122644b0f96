#include "proxy/upstream_pool.h"

#include <algorithm>

#include "proxy/upstream_connection.h"

namespace cuttle::proxy {

UpstreamConnection* UpstreamPool::take(std::string_view key) {
  if (idle_count_ == 0) return nullptr;
  auto it = idle_.find(std::string(key));
  if (it == idle_.end() || it->second.empty()) return nullptr;
  UpstreamConnection* c = it->second.back();
  it->second.pop_back();
  --idle_count_;
  if (gauge_) gauge_->sub();
  return c;
}

bool UpstreamPool::put(UpstreamConnection* c) {
  if (closed_) return false;
  std::vector<UpstreamConnection*>& list = idle_[c->key()];
  if (list.size() >= kMaxIdlePerOrigin) return false;
  list.push_back(c);
  ++idle_count_;
  if (gauge_) gauge_->add();
  return true;
}

void UpstreamPool::remove(UpstreamConnection* c) {
  auto it = idle_.find(c->key());
  if (it == idle_.end()) return;
  auto pos = std::find(it->second.begin(), it->second.end(), c);
  if (pos == it->second.end()) return;
  it->second.erase(pos);
  --idle_count_;
  if (gauge_) gauge_->sub();
  if (it->second.empty()) idle_.erase(it);
}

void UpstreamPool::closeAll() {
  closed_ = true;
  std::vector<UpstreamConnection*> all;
  for (auto& [key, list] : idle_) all.insert(all.end(), list.begin(), list.end());
  idle_.clear();
  if (gauge_) gauge_->sub(idle_count_);
  idle_count_ = 0;
  for (UpstreamConnection* c : all) c->close();
}

}  // namespace cuttle::proxy
