/* sched.h: the retry schedule, a pure function of the message's birth time.
 *
 * Attempt k (k = 1, 2, ...) after the first falls at
 *     birth + (C * k)^2 / retryscale   seconds,
 * C = 10 for local recipients (100 s, 400 s, 900 s, ... : 11 attempts in the
 * first hour, then about hourly after half a day) and C = 20 for remote ones
 * (400 s, 1600 s, 3600 s, ... : about every 4 h after a day, 8 h near a week).
 * This is qmail's quadratic schedule.  Because it depends only on the birth
 * time, a restarted yubin-send computes the same next attempt.  The last
 * attempt falls at birth + lifetime exactly; a temporary failure at or after
 * that becomes a bounce.  retryscale (>= 1) divides every interval so tests
 * can run the whole schedule in seconds; lifetime is not scaled.
 * Times are in milliseconds. */
#ifndef YUBIN_SEND_SCHED_H
#define YUBIN_SEND_SCHED_H

#define SCHED_C_LOCAL 10
#define SCHED_C_REMOTE 20

/* The first scheduled attempt strictly after now (all in ms).  Never later
 * than birth + lifetime if now is before that; after it, returns now (the
 * caller bounces instead of retrying). */
long long sched_next(long long birth_ms, long long now_ms, int remote,
                     unsigned long retryscale, long long lifetime_ms);
/* 1 if a temporary failure at now is final (the lifetime is over). */
int sched_expired(long long birth_ms, long long now_ms, long long lifetime_ms);

#endif
