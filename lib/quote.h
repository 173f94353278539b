/* quote: quoting a string for /bin/sh so that it is one literal word. */
#ifndef MPRUN_QUOTE_H
#define MPRUN_QUOTE_H
#include <stddef.h>
#include "buf.h"

/* Append s to out as one shell word: unchanged when it has only safe
 * characters [A-Za-z0-9_@%+=:,./-] and is not empty, else in single quotes
 * with each ' written as '\''. Empty string gives ''. 0 or -1/ENOMEM. */
int quote_shell(struct buf *out, const char *s);
/* Length quote_shell would append, without appending. */
size_t quote_shell_len(const char *s);
/* 1 if s[0..n) is not empty and has only the safe characters above: text
 * that means itself in every shell context (but a command's name). */
int quote_is_plain(const char *s, size_t n);
/* 1 if s has a character that /bin/sh treats specially anywhere in a word
 * (anything outside [A-Za-z0-9_@%+=:,./{}^-] and space/tab), else 0. */
int quote_needs_shell(const char *s);

#endif
