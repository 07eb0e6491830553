// A C file, not Swift, because a compiler flag is the one way to hand a value from the
// build command to the binary without a generated source file in the tree: Swift's -D only
// defines conditions, a C macro carries text.
#include "build_info.h"

#ifndef BALLAST_GIT_COMMIT
#define BALLAST_GIT_COMMIT "unknown"
#endif

const char *ballast_git_commit(void) { return BALLAST_GIT_COMMIT; }
