/* SPDX-License-Identifier: MIT */
/*
 * timing.c - clock, medians and ranges, a straight-line fit (timing.h).
 */
#include <stdlib.h>
#include <time.h>

#include "timing.h"

double timing_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void timing_stats(double *v, int n, struct tstats *out)
{
	out->n = n;
	if (n <= 0) {
		out->median = out->min = out->max = NAN;
		return;
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	out->min = v[0];
	out->max = v[n - 1];
	out->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int timing_linfit(const double *x, const double *y, int n, double *slope, double *icept)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, d;

	for (int i = 0; i < n; i++) {
		sx += x[i];
		sy += y[i];
		sxx += x[i] * x[i];
		sxy += x[i] * y[i];
	}
	d = n * sxx - sx * sx;
	if (n < 2 || d <= 1e-12 * (sxx > 1 ? sxx : 1))
		return -1;
	*slope = (n * sxy - sx * sy) / d;
	*icept = (sy - *slope * sx) / n;
	return 0;
}
