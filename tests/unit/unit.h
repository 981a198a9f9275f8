/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal unit test harness: TEST(name) { CHECK(...); } in any file of
 * this directory; main.c runs them all and ends with "N passed, M failed".
 */
#ifndef HMMBENCH_UNIT_H
#define HMMBENCH_UNIT_H

#include <stdbool.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
	struct unit_test *next;
};

void unit_register(struct unit_test *t);
bool unit_check(bool ok, const char *what, const char *file, int line);
bool unit_near(double got, double want, double tol, const char *what,
	       const char *file, int line);

#define TEST(name)							\
	static void name(void);						\
	static struct unit_test name##_test = { #name, name, 0 };	\
	__attribute__((constructor)) static void name##_register(void)	\
	{								\
		unit_register(&name##_test);				\
	}								\
	static void name(void)

#define CHECK(cond)	unit_check(!!(cond), #cond, __FILE__, __LINE__)
/* |got - want| <= tol */
#define CHECK_NEAR(got, want, tol) \
	unit_near((got), (want), (tol), #got, __FILE__, __LINE__)

#endif
