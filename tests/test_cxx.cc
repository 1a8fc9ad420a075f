// SPDX-License-Identifier: MIT
//
// test_cxx.cc - C++ inside a uthread: thread_local objects are constructed
// on first use in each thread and destroyed when it ends (returning or
// calling uthread_exit, joinable or detached), exceptions are thrown and
// caught within a thread, and strings, string streams and file streams work.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <locale>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

extern "C" {
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
}

#include "uthread.h"
#include "libcutil.h"

namespace {

constexpr int NT = 8;

// Run fn(&args[i]) in n uthreads at once.
template <typename T>
void run_n(int n, void *(*fn)(void *), T *args)
{
	std::vector<uthread_t> t(n);

	for (int i = 0; i < n; i++)
		assert_int_equal(uthread_create(&t[i], nullptr, fn, &args[i]), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(uthread_join(t[i], nullptr), 0);
}

// ------------------------------------------------------------------
// thread_local objects
// ------------------------------------------------------------------

std::atomic<int> constructed{0};
std::atomic<uint64_t> destroyed_sum{0};
int destroyed; // tu_add/tu_wait: the destructor's last step

struct Tracker {
	int value;
	std::string text; // owns heap memory: the destructor must free it
	Tracker() : value(42), text("freshly constructed, long enough to allocate")
	{
		constructed.fetch_add(1);
	}
	~Tracker()
	{
		destroyed_sum.fetch_add(static_cast<uint64_t>(value));
		tu_add(&destroyed, 1);
	}
};

thread_local Tracker tracker;

struct TlsResult {
	int id;
	bool via_exit;      // leave with uthread_exit instead of returning
	bool touch;         // use the thread_local at all
	int initial_value;
	bool initial_text_ok;
	const Tracker *addr;
};

void *tls_body(void *arg)
{
	auto *r = static_cast<TlsResult *>(arg);

	if (r->touch) {
		r->addr = &tracker;
		r->initial_value = tracker.value;
		r->initial_text_ok = tracker.text == "freshly constructed, long enough to allocate";
		tracker.value = 1000 + r->id;
		tracker.text += " and then changed by its thread";
	}
	if (r->via_exit)
		uthread_exit(nullptr);
	return nullptr;
}

void reset_counts()
{
	constructed = 0;
	tu_set(&destroyed, 0);
	destroyed_sum = 0;
}

void thread_local_objects_are_built_fresh_and_destroyed_once_per_thread(void **)
{
	TlsResult r[NT];
	uint64_t sum = 0;
	int users = 0;

	reset_counts();
	for (int i = 0; i < NT; i++) {
		// Every third thread never touches it: no construction there.
		r[i] = TlsResult{ i, i % 2 == 1, i % 3 != 2, -1, false, nullptr };
		if (r[i].touch) {
			users++;
			sum += 1000 + i;
		}
	}
	run_n(NT, tls_body, r);
	assert_int_equal(constructed.load(), users);
	assert_int_equal(tu_get(&destroyed), users);
	assert_int_equal(destroyed_sum.load(), sum);
	for (int i = 0; i < NT; i++) {
		if (!r[i].touch)
			continue;
		assert_int_equal(r[i].initial_value, 42);
		assert_true(r[i].initial_text_ok);
		for (int j = 0; j < i; j++)
			if (r[j].touch)
				assert_ptr_not_equal(r[i].addr, r[j].addr);
	}
}

// Detached threads run their thread_local destructors on the way out too.
void *detached_tls_body(void *arg)
{
	tracker.value = static_cast<int>(reinterpret_cast<intptr_t>(arg));
	return nullptr;
}

void thread_local_destructors_run_in_detached_threads(void **)
{
	uthread_attr_t a;
	uint64_t sum = 0;

	reset_counts();
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED), 0);
	for (int i = 0; i < NT; i++) {
		uthread_t t;
		assert_int_equal(uthread_create(&t, &a, detached_tls_body,
		                                reinterpret_cast<void *>(intptr_t{2000 + i})), 0);
		sum += 2000 + i;
	}
	uthread_attr_destroy(&a);
	assert_true(tu_wait(&destroyed, NT, 10000));
	assert_int_equal(constructed.load(), NT);
	assert_int_equal(tu_get(&destroyed), NT);
	assert_int_equal(destroyed_sum.load(), sum);
}

// Destruction in reverse order of construction, per thread.
std::atomic<int> order_log_errors{0};

struct Ordered {
	int rank;
	static thread_local int last_destroyed;
	explicit Ordered(int r) : rank(r) {}
	~Ordered()
	{
		// rank 2 (built last) must go before rank 1.
		if (rank == 1 && last_destroyed != 2)
			order_log_errors.fetch_add(1);
		if (rank == 2 && last_destroyed != 0)
			order_log_errors.fetch_add(1);
		last_destroyed = rank;
	}
};
thread_local int Ordered::last_destroyed = 0;
thread_local Ordered first_built(1);
thread_local Ordered second_built(2);

std::atomic<int> ordered_threads_done{0};

void *ordered_body(void *)
{
	// Touch in this order: first_built is constructed before second_built.
	(void)first_built.rank;
	(void)second_built.rank;
	return nullptr;
}

void thread_local_objects_are_destroyed_in_reverse_order_of_construction(void **)
{
	int dummy[NT] = {};

	order_log_errors = 0;
	run_n(NT, ordered_body, dummy);
	assert_int_equal(order_log_errors.load(), 0);
}

// ------------------------------------------------------------------
// Exceptions
// ------------------------------------------------------------------

struct Thrown : std::runtime_error {
	int value;
	explicit Thrown(int v) : std::runtime_error("thrown " + std::to_string(v)), value(v) {}
};

[[gnu::noinline]] int throw_from_depth(int depth, int value)
{
	if (depth == 0)
		throw Thrown(value);
	return throw_from_depth(depth - 1, value) + 1; // no tail call
}

struct ExcResult {
	int id, rounds;
	int caught, wrong_value, wrong_what, not_caught, uncaught_during;
};

int exc_go; // tu_add/tu_wait

void *exc_body(void *arg)
{
	auto *r = static_cast<ExcResult *>(arg);

	tu_add(&exc_go, 1);
	tu_wait(&exc_go, NT, -1);
	for (int i = 0; i < r->rounds; i++) {
		int v = r->id * 100000 + i;
		try {
			throw_from_depth(i % 6, v);
			r->not_caught++;
		} catch (const Thrown &e) {
			// Each thread has its own exception globals.
			r->caught++;
			r->wrong_value += e.value != v;
			r->wrong_what += std::string(e.what()) != "thrown " + std::to_string(v);
			r->uncaught_during += std::uncaught_exceptions() != 0;
		}
	}
	return nullptr;
}

void exceptions_thrown_in_threads_are_caught_in_the_same_thread(void **)
{
	ExcResult r[NT];

	tu_set(&exc_go, 0);
	for (int i = 0; i < NT; i++)
		r[i] = ExcResult{ i, lu_scaled(5000), 0, 0, 0, 0, 0 };
	run_n(NT, exc_body, r);
	for (int i = 0; i < NT; i++) {
		assert_int_equal(r[i].caught, r[i].rounds);
		assert_int_equal(r[i].not_caught, 0);
		assert_int_equal(r[i].wrong_value, 0);
		assert_int_equal(r[i].wrong_what, 0);
		assert_int_equal(r[i].uncaught_during, 0);
	}
}

// ------------------------------------------------------------------
// glibc's pthread_exit unwinds a uthread's stack
// ------------------------------------------------------------------

struct UnwindLog {
	int destroyed = 0, rethrown = 0;
	bool via_uthread = false; // uthread_exit instead of pthread_exit
};

struct Guard {
	UnwindLog *log;
	int id;
	~Guard() { log->destroyed = log->destroyed * 10 + id; }
};

[[gnu::noinline]] void exit_under_guards(UnwindLog *log)
{
	Guard inner{ log, 2 };
	try {
		if (log->via_uthread)
			uthread_exit(reinterpret_cast<void *>(log));
		pthread_exit(reinterpret_cast<void *>(log));
	} catch (...) {
		// glibc's forced unwind passes through catch (...) blocks that
		// rethrow, as with pthreads.
		log->rethrown++;
		throw;
	}
}

void *exits_with_guards(void *arg)
{
	auto *log = static_cast<UnwindLog *>(arg);
	Guard outer{ log, 1 };

	exit_under_guards(log);
	return nullptr;
}

// Issue 12, case 4: pthread_exit in a uthread unwinds it as glibc unwinds
// its own threads: local objects' destructors run innermost first, and a
// catch (...) that rethrows sees the forced unwind; the value reaches
// uthread_join.
void pthread_exit_in_a_thread_runs_the_destructors_of_its_stack_objects(void **)
{
	UnwindLog log;
	uthread_t t;
	void *ret = nullptr;

	assert_int_equal(uthread_create(&t, nullptr, exits_with_guards, &log), 0);
	assert_int_equal(uthread_join(t, &ret), 0);
	assert_ptr_equal(ret, &log);
	assert_int_equal(log.destroyed, 21);
	assert_int_equal(log.rethrown, 1);
}

// Issue 13: uthread_exit unwinds as pthread_exit does.  Before, it ended
// the thread where it stood: no destructor ran (destroyed 0).
void uthread_exit_runs_the_destructors_of_its_stack_objects(void **)
{
	UnwindLog log;
	uthread_t t;
	void *ret = nullptr;

	log.via_uthread = true;
	assert_int_equal(uthread_create(&t, nullptr, exits_with_guards, &log), 0);
	assert_int_equal(uthread_join(t, &ret), 0);
	assert_ptr_equal(ret, &log);
	assert_int_equal(log.destroyed, 21);
	assert_int_equal(log.rethrown, 1);
}

// ------------------------------------------------------------------
// Strings and streams
// ------------------------------------------------------------------

struct StrResult {
	int id, rounds, wrong;
	std::string first_wrong;
};

void *str_body(void *arg)
{
	auto *r = static_cast<StrResult *>(arg);

	for (int i = 0; i < r->rounds; i++) {
		std::ostringstream os;
		os << "thread " << r->id << " round " << i << ' '
		   << std::fixed << std::setprecision(2) << 3.14159 << ' '
		   << std::hex << 255 << std::dec << ' ' << std::boolalpha << true;
		std::string want = "thread " + std::to_string(r->id) + " round " +
		                   std::to_string(i) + " 3.14 ff true";
		if (os.str() != want && !r->wrong++)
			r->first_wrong = os.str();

		std::istringstream is("17 2.5 word");
		int n = 0;
		double d = 0;
		std::string w;
		is >> n >> d >> w;
		if ((n != 17 || d != 2.5 || w != "word") && !r->wrong++)
			r->first_wrong = "istringstream";

		std::map<std::string, int> m;
		for (int k = 0; k < 20; k++)
			m[std::to_string(k * 7919 % 101)] += k;
		int total = 0;
		for (const auto &kv : m)
			total += kv.second;
		if ((total != 190 || std::stoi("-123") != -123) && !r->wrong++)
			r->first_wrong = "map/stoi";

		if (std::toupper('q', std::locale::classic()) != 'Q' && !r->wrong++)
			r->first_wrong = "locale";
	}

	// A file stream round trip, once per thread.
	char path[] = "/tmp/uthread-test_cxx-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		if (!r->wrong++)
			r->first_wrong = "mkstemp";
		return nullptr;
	}
	close(fd);
	{
		std::ofstream out(path);
		for (int k = 0; k < 100; k++)
			out << "line " << k << " of thread " << r->id << '\n';
	}
	std::ifstream in(path);
	std::string line;
	int k = 0;
	while (std::getline(in, line)) {
		if (line != "line " + std::to_string(k) + " of thread " + std::to_string(r->id) &&
		    !r->wrong++)
			r->first_wrong = line;
		k++;
	}
	unlink(path);
	if (k != 100 && !r->wrong++)
		r->first_wrong = "fstream read " + std::to_string(k) + " lines";
	return nullptr;
}

void strings_and_streams_work_in_threads(void **)
{
	StrResult r[NT];

	for (int i = 0; i < NT; i++)
		r[i] = StrResult{ i, lu_scaled(2000), 0, {} };
	run_n(NT, str_body, r);
	for (int i = 0; i < NT; i++) {
		if (r[i].wrong)
			print_error("thread %d produced \"%s\"\n", i, r[i].first_wrong.c_str());
		assert_int_equal(r[i].wrong, 0);
	}
}

} // namespace

int main()
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(thread_local_objects_are_built_fresh_and_destroyed_once_per_thread),
		cmocka_unit_test(thread_local_destructors_run_in_detached_threads),
		cmocka_unit_test(thread_local_objects_are_destroyed_in_reverse_order_of_construction),
		cmocka_unit_test(exceptions_thrown_in_threads_are_caught_in_the_same_thread),
		cmocka_unit_test(pthread_exit_in_a_thread_runs_the_destructors_of_its_stack_objects),
		cmocka_unit_test(uthread_exit_runs_the_destructors_of_its_stack_objects),
		cmocka_unit_test(strings_and_streams_work_in_threads),
	};
	return cmocka_run_group_tests(tests, nullptr, nullptr);
}
