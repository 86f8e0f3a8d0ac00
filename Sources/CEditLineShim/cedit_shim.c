#include "cedit_shim.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int cedit_set_prompt(EditLine *el, cedit_prompt_fn fn, char escape) {
    return el_set(el, EL_PROMPT_ESC, fn, escape);
}

int cedit_set_editor(EditLine *el, const char *mode) { return el_set(el, EL_EDITOR, mode); }

int cedit_set_clientdata(EditLine *el, void *data) { return el_set(el, EL_CLIENTDATA, data); }

void *cedit_get_clientdata(EditLine *el) {
    void *data = NULL;
    if (el_get(el, EL_CLIENTDATA, &data) != 0) return NULL;
    return data;
}

int cedit_set_history(EditLine *el, History *h) { return el_set(el, EL_HIST, history, h); }

int cedit_add_function(EditLine *el, const char *name, const char *help, cedit_command_fn fn) {
    return el_set(el, EL_ADDFN, name, help, fn);
}

int cedit_bind(EditLine *el, const char *key, const char *command) {
    return el_set(el, EL_BIND, key, command, (const char *)NULL);
}

int cedit_is_vi(EditLine *el) {
    const char *mode = NULL;
    if (el_get(el, EL_EDITOR, &mode) != 0 || mode == NULL) return 0;
    return strcmp(mode, "vi") == 0;
}

int cedit_history_setsize(History *h, int size) {
    HistEvent ev;
    return history(h, &ev, H_SETSIZE, size);
}

int cedit_history_setunique(History *h, int unique) {
    HistEvent ev;
    return history(h, &ev, H_SETUNIQUE, unique);
}

int cedit_history_enter(History *h, const char *line) {
    HistEvent ev;
    return history(h, &ev, H_ENTER, line);
}

int cedit_history_load(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_LOAD, path);
}

int cedit_history_save(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_SAVE, path);
}

int cedit_terminal_columns(int fd) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return 0;
    return ws.ws_col;
}

struct cedit_flag { atomic_int value; };

cedit_flag *cedit_flag_create(void) {
    cedit_flag *flag = malloc(sizeof(cedit_flag));
    if (flag) atomic_init(&flag->value, 0);
    return flag;
}

void cedit_flag_destroy(cedit_flag *flag) { free(flag); }
void cedit_flag_store(cedit_flag *flag, int value) { atomic_store(&flag->value, value); }
int cedit_flag_load(cedit_flag *flag) { return atomic_load(&flag->value); }
int cedit_flag_exchange(cedit_flag *flag, int value) { return atomic_exchange(&flag->value, value); }

/* The one C-level signal target (see the header). Lock-free atomics are async-signal-safe. */
static _Atomic(cedit_flag *) sigint_target = NULL;

static void on_sigint(int signo) {
    (void)signo;
    cedit_flag *flag = atomic_load(&sigint_target);
    if (flag) atomic_store(&flag->value, 1);
}

int cedit_route_sigint(cedit_flag *flag) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: blocking reads must return EINTR */
    if (flag) {
        atomic_store(&sigint_target, flag);
        action.sa_handler = on_sigint;
    } else {
        action.sa_handler = SIG_DFL;
    }
    int rc = sigaction(SIGINT, &action, NULL);
    if (!flag) {
        atomic_store(&sigint_target, NULL);
    } else if (rc == 0) {
        /* A parent may have started us with SIGINT blocked (thread pools do); a shell must see Ctrl-C. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        rc = pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    }
    return rc;
}
