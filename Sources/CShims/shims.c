#include "CShims.h"
#include <curl/curl.h>
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

int ballast_curl_easy_setopt_long(void *easy, int option, long value) {
    return (int)curl_easy_setopt((CURL *)easy, (CURLoption)option, value);
}
int ballast_curl_easy_setopt_string(void *easy, int option, const char *value) {
    return (int)curl_easy_setopt((CURL *)easy, (CURLoption)option, value);
}
int ballast_curl_easy_setopt_pointer(void *easy, int option, void *value) {
    return (int)curl_easy_setopt((CURL *)easy, (CURLoption)option, value);
}
int ballast_curl_easy_setopt_offset(void *easy, int option, int64_t value) {
    return (int)curl_easy_setopt((CURL *)easy, (CURLoption)option, (curl_off_t)value);
}
int ballast_curl_easy_getinfo_long(void *easy, int info, long *value) {
    return (int)curl_easy_getinfo((CURL *)easy, (CURLINFO)info, value);
}
int ballast_curl_easy_getinfo_double(void *easy, int info, double *value) {
    return (int)curl_easy_getinfo((CURL *)easy, (CURLINFO)info, value);
}
int ballast_curl_easy_getinfo_pointer(void *easy, int info, void **value) {
    return (int)curl_easy_getinfo((CURL *)easy, (CURLINFO)info, value);
}
int ballast_curl_multi_setopt_long(void *multi, int option, long value) {
    return (int)curl_multi_setopt((CURLM *)multi, (CURLMoption)option, value);
}
int ballast_curl_share_setopt_long(void *share, int option, long value) {
    return (int)curl_share_setopt((CURLSH *)share, (CURLSHoption)option, value);
}

void *ballast_mhd_start(const ballast_mhd_config *c) {
    struct MHD_OptionItem options[16];
    int n = 0;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    if (c->bind_address != NULL && c->bind_address[0] != '\0') {
        memset(&v4, 0, sizeof v4);
        memset(&v6, 0, sizeof v6);
        if (inet_pton(AF_INET, c->bind_address, &v4.sin_addr) == 1) {
            v4.sin_family = AF_INET;
            v4.sin_port = htons(c->port);
            options[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &v4};
        } else if (inet_pton(AF_INET6, c->bind_address, &v6.sin6_addr) == 1) {
            v6.sin6_family = AF_INET6;
            v6.sin6_port = htons(c->port);
            options[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &v6};
        } else {
            return NULL;
        }
    }
    if (c->thread_pool_size > 1)
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, c->thread_pool_size, NULL};
    if (c->connection_limit > 0)
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, c->connection_limit, NULL};
    if (c->connection_timeout > 0)
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, c->connection_timeout, NULL};
    if (c->connection_memory_limit > 0)
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)c->connection_memory_limit, NULL};
    if (c->listen_backlog > 0)
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, c->listen_backlog, NULL};
    /* No MHD_OPTION_LISTENING_ADDRESS_REUSE: set to 1 it adds SO_REUSEPORT, with which Linux may
     * give a port-0 bind a port another listener of this process already holds; the two then
     * share its connections (a test's upstream received another test's requests). MHD's
     * default, SO_REUSEADDR, is what a restart on the same port needs. */
    if (c->completed_callback != NULL)
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)c->completed_callback, c->completed_callback_cls};
    if (c->uri_log_callback != NULL)
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)c->uri_log_callback, c->uri_log_callback_cls};
    if (c->notify_connection != NULL)
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)c->notify_connection, c->notify_connection_cls};
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    return MHD_start_daemon(c->flags, c->port,
                            (MHD_AcceptPolicyCallback)c->accept_policy, c->accept_policy_cls,
                            (MHD_AccessHandlerCallback)c->access_handler, c->access_handler_cls,
                            MHD_OPTION_ARRAY, options,
                            MHD_OPTION_END);
}

uint16_t ballast_mhd_bound_port(void *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info((struct MHD_Daemon *)daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

int ballast_mhd_connection_fd(void *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info((struct MHD_Connection *)connection,
                                                                   MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : (int)info->connect_fd;
}
