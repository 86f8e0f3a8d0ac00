#ifndef CEDIT_SHIM_H
#define CEDIT_SHIM_H
/*
 * libedit, opened on first use rather than linked: `-c` and scripts never edit lines, and
 * loading libedit with its terminfo and libbsd dependencies cost ~0.5 ms at every start.
 * Typed wrappers stand in for its functions, including the variadic ones (el_set, el_get,
 * history) that Swift cannot call. Plus the SIGINT plumbing the line reader needs.
 */
#include <histedit.h>

/*
 * Opens libedit: the file `$PROXMUX_LIBEDIT` names, else the first of the usual sonames that
 * loads. Returns NULL on success (every later call too), or why it failed. Every cedit_el_* and
 * cedit_history_* function needs a successful cedit_open first.
 */
const char *cedit_open(void);

/* Plain libedit calls */
EditLine *cedit_el_init(const char *program, FILE *in, FILE *out, FILE *err);
void cedit_el_end(EditLine *el);
const char *cedit_el_gets(EditLine *el, int *count);
int cedit_el_source(EditLine *el, const char *path);
const LineInfo *cedit_el_line(EditLine *el);
int cedit_el_insertstr(EditLine *el, const char *text);
void cedit_el_deletestr(EditLine *el, int count);
History *cedit_history_init(void);
void cedit_history_end(History *h);

typedef char *(*cedit_prompt_fn)(EditLine *);
typedef unsigned char (*cedit_command_fn)(EditLine *, int);

/* el_set wrappers */
int cedit_set_prompt(EditLine *el, cedit_prompt_fn fn, char escape);
int cedit_set_editor(EditLine *el, const char *mode);
int cedit_set_clientdata(EditLine *el, void *data);
void *cedit_get_clientdata(EditLine *el);
int cedit_set_history(EditLine *el, History *h);
int cedit_add_function(EditLine *el, const char *name, const char *help, cedit_command_fn fn);
int cedit_bind(EditLine *el, const char *key, const char *command);
/* Current editor mode: 1 for vi, 0 for emacs (or on failure). */
int cedit_is_vi(EditLine *el);

/* history() wrappers; each returns history()'s result (-1 on failure). */
int cedit_history_setsize(History *h, int size);
int cedit_history_setunique(History *h, int unique);
int cedit_history_enter(History *h, const char *line);
int cedit_history_load(History *h, const char *path);
int cedit_history_save(History *h, const char *path);

/* Terminal width of fd (0 when unknown). ioctl is variadic too. */
int cedit_terminal_columns(int fd);

/*
 * SIGINT. A C signal handler cannot reach a Swift instance, so the handler stores into the one
 * flag registered here. The flag's storage is owned by a Swift `InterruptFlag` instance; this
 * file only keeps a pointer to it (the single C-level signal flag of the process).
 * The handler is installed with sigaction and without SA_RESTART, so a blocking read() returns
 * EINTR and the waiting code can notice the flag.
 */
typedef struct cedit_flag cedit_flag; /* an atomic int, opaque to Swift */
cedit_flag *cedit_flag_create(void);
void cedit_flag_destroy(cedit_flag *flag);
void cedit_flag_store(cedit_flag *flag, int value);
int cedit_flag_load(cedit_flag *flag);
int cedit_flag_exchange(cedit_flag *flag, int value);
/* Routes SIGINT into `flag` (NULL restores the default action). Returns 0 on success. */
int cedit_route_sigint(cedit_flag *flag);

#endif
