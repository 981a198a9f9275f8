// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdio.h>

#include "unit.h"

static struct unit_test *tests, **tail = &tests;
static int failed_checks;

void unit_register(struct unit_test *t)
{
	*tail = t;
	tail = &t->next;
}

bool unit_check(bool ok, const char *what, const char *file, int line)
{
	if (!ok) {
		printf("# %s:%d: check failed: %s\n", file, line, what);
		failed_checks++;
	}
	return ok;
}

bool unit_near(double got, double want, double tol, const char *what,
	       const char *file, int line)
{
	if (fabs(got - want) <= tol)
		return true;
	printf("# %s:%d: %s is %.17g, want %.17g (+-%g)\n", file, line, what,
	       got, want, tol);
	failed_checks++;
	return false;
}

int main(void)
{
	int passed = 0, failed = 0, n = 0, before;
	struct unit_test *t;

	for (t = tests; t; t = t->next) {
		before = failed_checks;
		t->fn();
		if (failed_checks == before) {
			printf("ok %d %s\n", ++n, t->name);
			passed++;
		} else {
			printf("not ok %d %s\n", ++n, t->name);
			failed++;
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
