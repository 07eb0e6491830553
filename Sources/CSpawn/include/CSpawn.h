#ifndef BALLAST_CSPAWN_H
#define BALLAST_CSPAWN_H
/*
 * The GNU extensions ChildProcess (BallastTesting) spawns with, which Swift's Glibc module
 * leaves out (it is not built with _GNU_SOURCE). Each returns what glibc's function returns.
 */
#include <spawn.h>

/* posix_spawn_file_actions_addchdir_np (glibc 2.29): the child starts in `path`. */
int ballast_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);
/* posix_spawn_file_actions_addclosefrom_np (glibc 2.34): the child closes `from` and above. */
int ballast_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);
/* pipe2(fds, O_CLOEXEC): a pipe no other child inherits. */
int ballast_pipe_cloexec(int fds[2]);

#endif
