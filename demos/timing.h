/* SPDX-License-Identifier: MIT */
/*
 * timing.h - a monotonic clock in microseconds, the median and range of a
 * set of samples, and a least-squares line.  Figures on a shared VM are
 * noisy: the demos print medians and ranges, never means.
 */
#ifndef DEMO_TIMING_H
#define DEMO_TIMING_H

#include <math.h>

struct tstats {
	int n;          /* samples; 0: no data (min, median, max are NAN) */
	double median, min, max;
};

/* Microseconds on CLOCK_MONOTONIC. */
double timing_now_us(void);

/* The statistics of v[0..n); sorts v in place. */
void timing_stats(double *v, int n, struct tstats *out);

/*
 * Least-squares fit y = slope * x + icept over n points.  Returns 0, or -1
 * if fewer than two distinct x.
 */
int timing_linfit(const double *x, const double *y, int n, double *slope, double *icept);

#endif
