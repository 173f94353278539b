/* parse: parsing human numbers from the command line: durations
 * ("1.5", "2s", "300ms", "1m30s", "2h", "1d"), sizes ("64K", "1M", "2G",
 * binary units, optional trailing "B"; GNU parallel's "1k" 1000 and
 * "1K" 1024 for its options), and signal names. */
#ifndef MPRUN_PARSE_H
#define MPRUN_PARSE_H
#include <stddef.h>
#include <stdint.h>

/* A duration in milliseconds. A bare number means seconds (may have a
 * fraction). Units: ms s m h d, combinable ("1m30s"). -1 on a malformed or
 * negative value, or on overflow. */
int parse_duration_ms(const char *s, uint64_t *ms);
/* A size in bytes: a number with an optional unit k K m M g G t T (powers of
 * 1024), optionally followed by "b"/"B". -1 if malformed or overflowing. */
int parse_size(const char *s, uint64_t *bytes);
/* A size or count with GNU parallel's units: k m g t p powers of 1000,
 * K M G T P (or a letter and "i": "ki", "Ki") powers of 1024; a fraction
 * needs a unit ("1.5k" is 1500). -1 if malformed or overflowing. */
int parse_gnu_size(const char *s, uint64_t *out);
/* A size in its shortest exact spelling with the largest unit that divides
 * it ("1G", "1536K", "100"), as parse_size() reads it back, written into buf
 * (len bytes, truncated if short). Returns buf. */
char *parse_size_format(uint64_t bytes, char *buf, size_t len);
/* A signal from "TERM", "SIGTERM" or "15"; -1 if unknown. */
int parse_signal(const char *s);
/* Short name of a signal ("TERM"), or NULL. */
const char *parse_signal_name(int sig);
/* A whole number in [min, max] with no trailing junk: 0 or -1. */
int parse_number(const char *s, long long min, long long max, long long *out);

#endif
