#ifndef BALLAST_CSHIMS_H
#define BALLAST_CSHIMS_H
/*
 * Non-variadic entry points for the variadic calls of libcurl and libmicrohttpd.
 * Swift cannot call C variadic functions; everything else is called directly
 * through the CCurl and CMicroHTTPD modules. Handles are passed as void * so this
 * header does not re-export the libraries' headers into a second module.
 * Also the socket calls of HTTPServer's listen socket, which are shorter in C
 * (sockaddr handling; accept4 is a GNU extension).
 */
#include <stdint.h>
#include <stddef.h>

/* ---- libcurl ---- */
int ballast_curl_easy_setopt_long(void *easy, int option, long value);
int ballast_curl_easy_setopt_string(void *easy, int option, const char *value);
int ballast_curl_easy_setopt_pointer(void *easy, int option, void *value);
int ballast_curl_easy_setopt_offset(void *easy, int option, int64_t value);
int ballast_curl_easy_getinfo_long(void *easy, int info, long *value);
int ballast_curl_easy_getinfo_double(void *easy, int info, double *value);
int ballast_curl_easy_getinfo_pointer(void *easy, int info, void **value);
int ballast_curl_multi_setopt_long(void *multi, int option, long value);
int ballast_curl_share_setopt_long(void *share, int option, long value);

/* ---- libmicrohttpd ---- */
/** Everything MHD_start_daemon needs; turned into an MHD_OptionItem array in C. */
typedef struct ballast_mhd_config {
    unsigned int flags;              /* MHD_FLAG bits (HTTPServer: with MHD_USE_NO_LISTEN_SOCKET) */
    unsigned int thread_pool_size;   /* 0 or 1: one polling thread */
    unsigned int connection_limit;   /* 0: library default */
    unsigned int connection_timeout; /* seconds of idleness before close; 0: none */
    size_t connection_memory_limit;  /* per-connection buffer; 0: library default */
    void *access_handler;            /* MHD_AccessHandlerCallback */
    void *access_handler_cls;
    void *completed_callback;        /* MHD_RequestCompletedCallback or NULL */
    void *completed_callback_cls;
    void *accept_policy;             /* MHD_AcceptPolicyCallback or NULL */
    void *accept_policy_cls;
    void *uri_log_callback;          /* void *(*)(void *cls, const char *uri, struct MHD_Connection *) or NULL */
    void *uri_log_callback_cls;
    void *notify_connection;         /* MHD_NotifyConnectionCallback or NULL */
    void *notify_connection_cls;
} ballast_mhd_config;

/** Starts a daemon; returns NULL on failure (errno tells why where the library sets it). */
void *ballast_mhd_start(const ballast_mhd_config *config);
/** The socket of a connection (MHD_CONNECTION_INFO_CONNECTION_FD); -1 when unknown. */
int ballast_mhd_connection_fd(void *connection);

/* ---- sockets (HTTPServer's own listen socket) ---- */
/** A TCP socket bound to host (an IPv4 or IPv6 literal; NULL or "" for any IPv4 address) and
 *  port, listening with backlog (0: SOMAXCONN); -1 with errno set on failure. */
int ballast_tcp_listen(const char *host, uint16_t port, int backlog);
/** The local port of a bound socket; 0 when unknown. */
uint16_t ballast_socket_port(int fd);
/** accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC; address is a struct sockaddr_storage of
 *  *length bytes, *length is set to the peer address's size. */
int ballast_accept(int fd, void *address, uint32_t *length);

#endif
