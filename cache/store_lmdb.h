// Small helpers around the LMDB C API for the store's sources (not for users of the store).
#pragma once

#include <lmdb.h>

#include <string>
#include <string_view>

#include "common/error.h"

namespace cuttle::cache::lmdb {

// An MDB_val that points at s. LMDB does not write through it for mdb_get/mdb_put keys
// and data (except MDB_RESERVE, which replaces mv_data).
inline MDB_val val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

// A view of an LMDB value: valid only until the end of its transaction, or for a write
// transaction until the next change. Copy it out before either.
inline std::string_view view(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

// The one place where MDB codes become Errors (side: cache).
inline Error error(int rc, std::string_view what) {
  std::string cause(what);
  cause += ": ";
  cause += mdb_strerror(rc);
  return Error(ErrorCode::kIo, Side::kCache, std::move(cause));
}

// Closes a cursor at the end of a scope. The cursor belongs to a write transaction or to a
// read transaction that is reset or aborted after the scope.
class Cursor {
 public:
  Cursor() = default;
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor() {
    if (cursor_) mdb_cursor_close(cursor_);
  }
  int open(MDB_txn* txn, MDB_dbi dbi) { return mdb_cursor_open(txn, dbi, &cursor_); }
  MDB_cursor* get() const { return cursor_; }

 private:
  MDB_cursor* cursor_ = nullptr;
};

}  // namespace cuttle::cache::lmdb
