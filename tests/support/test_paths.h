#pragma once

namespace cuttle::test {

// Absolute path of the built cuttle binary.
const char* cuttleBinary();
// Absolute path of the source tree.
const char* sourceDir();

}  // namespace cuttle::test
