#include "cedit_shim.h"
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The loaded library's entry points: written once under pthread_once, read-only afterwards. */
static struct {
    EditLine *(*el_init)(const char *, FILE *, FILE *, FILE *);
    void (*el_end)(EditLine *);
    const char *(*el_gets)(EditLine *, int *);
    int (*el_source)(EditLine *, const char *);
    const LineInfo *(*el_line)(EditLine *);
    int (*el_insertstr)(EditLine *, const char *);
    void (*el_deletestr)(EditLine *, int);
    int (*el_set)(EditLine *, int, ...);
    int (*el_get)(EditLine *, int, ...);
    History *(*history_init)(void);
    void (*history_end)(History *);
    int (*history)(History *, HistEvent *, int, ...);
} lib;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static const char *lib_error = "libedit was not opened";
static char lib_error_text[512];

/* Debian and Ubuntu ship libedit.so.2, Fedora and RHEL libedit.so.0; libedit.so is the -dev link. */
static const char *const sonames[] = {"libedit.so.2", "libedit.so.0", "libedit.so"};

static void lib_load(void) {
    const char *chosen = getenv("PROXMUX_LIBEDIT");
    void *handle = NULL;
    size_t count = chosen && *chosen ? 1 : sizeof sonames / sizeof *sonames;
    for (size_t i = 0; !handle && i < count; i++) {
        handle = dlopen(chosen && *chosen ? chosen : sonames[i], RTLD_NOW | RTLD_LOCAL);
        const char *why = handle ? NULL : dlerror();
        if (i == 0 && why) { /* the first name's failure says the most */
            snprintf(lib_error_text, sizeof lib_error_text, "%s", why);
            lib_error = lib_error_text;
        }
    }
    if (!handle) return;
#define LOAD(name)                                                                                 \
    if (!(*(void **)&lib.name = dlsym(handle, #name))) {                                           \
        snprintf(lib_error_text, sizeof lib_error_text, "%s has no %s",                            \
                 chosen && *chosen ? chosen : "libedit", #name);                                   \
        lib_error = lib_error_text;                                                                \
        return;                                                                                    \
    }
    LOAD(el_init) LOAD(el_end) LOAD(el_gets) LOAD(el_source) LOAD(el_line) LOAD(el_insertstr)
    LOAD(el_deletestr) LOAD(el_set) LOAD(el_get) LOAD(history_init) LOAD(history_end) LOAD(history)
#undef LOAD
    lib_error = NULL;
}

const char *cedit_open(void) {
    pthread_once(&lib_once, lib_load);
    return lib_error;
}

EditLine *cedit_el_init(const char *program, FILE *in, FILE *out, FILE *err) {
    return lib.el_init(program, in, out, err);
}
void cedit_el_end(EditLine *el) { lib.el_end(el); }
const char *cedit_el_gets(EditLine *el, int *count) { return lib.el_gets(el, count); }
int cedit_el_source(EditLine *el, const char *path) { return lib.el_source(el, path); }
const LineInfo *cedit_el_line(EditLine *el) { return lib.el_line(el); }
int cedit_el_insertstr(EditLine *el, const char *text) { return lib.el_insertstr(el, text); }
void cedit_el_deletestr(EditLine *el, int count) { lib.el_deletestr(el, count); }
History *cedit_history_init(void) { return lib.history_init(); }
void cedit_history_end(History *h) { lib.history_end(h); }

int cedit_set_prompt(EditLine *el, cedit_prompt_fn fn, char escape) {
    return lib.el_set(el, EL_PROMPT_ESC, fn, escape);
}

int cedit_set_editor(EditLine *el, const char *mode) { return lib.el_set(el, EL_EDITOR, mode); }

int cedit_set_clientdata(EditLine *el, void *data) { return lib.el_set(el, EL_CLIENTDATA, data); }

void *cedit_get_clientdata(EditLine *el) {
    void *data = NULL;
    if (lib.el_get(el, EL_CLIENTDATA, &data) != 0) return NULL;
    return data;
}

int cedit_set_history(EditLine *el, History *h) { return lib.el_set(el, EL_HIST, lib.history, h); }

int cedit_add_function(EditLine *el, const char *name, const char *help, cedit_command_fn fn) {
    return lib.el_set(el, EL_ADDFN, name, help, fn);
}

int cedit_bind(EditLine *el, const char *key, const char *command) {
    return lib.el_set(el, EL_BIND, key, command, (const char *)NULL);
}

int cedit_is_vi(EditLine *el) {
    const char *mode = NULL;
    if (lib.el_get(el, EL_EDITOR, &mode) != 0 || mode == NULL) return 0;
    return strcmp(mode, "vi") == 0;
}

int cedit_history_setsize(History *h, int size) {
    HistEvent ev;
    return lib.history(h, &ev, H_SETSIZE, size);
}

int cedit_history_setunique(History *h, int unique) {
    HistEvent ev;
    return lib.history(h, &ev, H_SETUNIQUE, unique);
}

int cedit_history_enter(History *h, const char *line) {
    HistEvent ev;
    return lib.history(h, &ev, H_ENTER, line);
}

int cedit_history_load(History *h, const char *path) {
    HistEvent ev;
    return lib.history(h, &ev, H_LOAD, path);
}

int cedit_history_save(History *h, const char *path) {
    HistEvent ev;
    return lib.history(h, &ev, H_SAVE, path);
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
