#ifndef BALLAST_BUILD_INFO_H
#define BALLAST_BUILD_INFO_H

/// The git commit the binary was built from: `make dist` passes
/// `-Xcc -DBALLAST_GIT_COMMIT="..."`; any other build says "unknown".
const char *ballast_git_commit(void);

#endif
