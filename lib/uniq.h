/* uniq.h: identifiers that are unique without coordination. */
#ifndef YUBIN_UNIQ_H
#define YUBIN_UNIQ_H
#include <stddef.h>

#define QUEUE_ID_LEN 16
/* A queue id: 16 lower-case hex digits, 8 of the current time in seconds and
 * 8 random (getrandom).  Its last two digits name the queue bucket. */
void uniq_queue_id(char out[QUEUE_ID_LEN + 1]);
/* The queue bucket ("00".."ff") of an id. */
void uniq_bucket(const char *id, char out[3]);
/* Fills buf with n random bytes (getrandom; aborts the program if the kernel
 * cannot supply them). */
void uniq_random(void *buf, size_t n);
/* n random lower-case hex digits plus NUL into out (size >= n+1). */
void uniq_hex(char *out, size_t n);

#endif
