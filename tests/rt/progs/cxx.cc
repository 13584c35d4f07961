// What a C++ program asks of the runtime that a C program does not, run
// on Linux and as an image (scripts/images cxx) with the same output
// expected line for line: static constructors in order and destructors
// in reverse, exceptions unwound through frames (the unwinder finding
// them through the image's PT_GNU_EH_FRAME), RTTI, iostreams and
// fstreams, std::thread with mutex, condition_variable and futures,
// thread_local objects, std::filesystem over a directory of thousands
// of entries, mmap of a file from the root, and the standard library's
// containers, regex and locale-free conversions.
//
//   cxx ROOT TMP     ROOT holds hello.txt and big/ (BIG_ENTRIES files
//                    big/f0000..); TMP is a writable directory
//
// Built by znet-c++ (libc++, libc++abi, LLVM's libunwind over musl) and
// run by scripts/images (cxx).
#include <sys/mman.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <queue>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeinfo>
#include <unordered_map>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr int BIG_ENTRIES = 3000;

// ---- static construction and destruction --------------------------------

std::string &init_log() {
  static std::string log; // constructed on first use, before any Noisy
  return log;
}

struct Noisy {
  const char *name;
  explicit Noisy(const char *n) : name(n) {
    init_log() += name;
    init_log() += ' ';
  }
  // printf: the program's output is still open while static objects are
  // destroyed (exit flushes stdio after the destructors).
  ~Noisy() { std::printf("destroyed %s\n", name); }
};

// Definition order within a file, and init_priority ahead of it.
Noisy first("A");
Noisy second("B");
__attribute__((init_priority(200))) Noisy early("P");
Noisy third("C");

// ---- exceptions -----------------------------------------------------------

int unwound; // destructors run by the unwinder

struct Guard {
  ~Guard() { unwound++; }
};

struct AppError : std::runtime_error {
  int code;
  AppError(const std::string &what, int c) : std::runtime_error(what), code(c) {}
};

struct DeepError : AppError {
  using AppError::AppError;
};

[[gnu::noinline]] void level3(int n) {
  Guard g;
  if (n > 0)
    throw DeepError("deep " + std::to_string(n), n);
}

[[gnu::noinline]] void level2(int n) {
  Guard g;
  std::vector<int> v(100, n); // a destructor that frees
  level3(n);
}

[[gnu::noinline]] void level1(int n) {
  Guard g;
  level2(n);
}

struct Part {
  static int built, destroyed;
  explicit Part(bool fail) {
    if (fail)
      throw std::invalid_argument("part refused");
    built++;
  }
  ~Part() { destroyed++; }
};
int Part::built, Part::destroyed;

struct Whole {
  Part a, b, c;
  Whole() : a(false), b(false), c(true) {}
};

void check_exceptions() {
  try {
    level1(3);
    std::puts("exceptions: nothing thrown (wrong)");
  } catch (const AppError &e) {
    std::printf("exceptions: caught %s by its base: %s, code %d, %d guards unwound\n",
                typeid(e) == typeid(DeepError) ? "DeepError" : "another",
                e.what(), e.code, unwound);
  }
  // A rethrow, and catch (...).
  int caught = 0;
  try {
    try {
      level1(1);
    } catch (...) {
      caught++;
      throw;
    }
  } catch (const std::exception &e) {
    caught++;
    std::printf("rethrown: %s, caught %d times\n", e.what(), caught);
  }
  // A member's constructor throws: the members built are destroyed.
  try {
    Whole w;
    (void)w;
  } catch (const std::invalid_argument &e) {
    std::printf("a member threw (%s): %d built, %d destroyed\n", e.what(),
                Part::built, Part::destroyed);
  }
  // The standard library's own.
  try {
    std::vector<int> v(3);
    (void)v.at(7);
  } catch (const std::out_of_range &) {
    std::puts("vector::at out of range: std::out_of_range");
  }
  try {
    (void)std::stoi("not a number");
  } catch (const std::invalid_argument &) {
    std::puts("stoi of letters: std::invalid_argument");
  }
  // Many throws: the unwinder's lookup every time.
  int n = 0;
  for (int i = 0; i < 10000; i++) {
    try {
      level3(i + 1);
    } catch (const DeepError &e) {
      n += e.code == i + 1;
    }
  }
  std::printf("10000 throws caught: %d\n", n);
}

// ---- RTTI ---------------------------------------------------------------

struct Shape {
  virtual ~Shape() = default;
  virtual double area() const = 0;
};
struct Named {
  virtual ~Named() = default;
  virtual std::string name() const { return "named"; }
};
struct Square : Shape, Named {
  double s;
  explicit Square(double x) : s(x) {}
  double area() const override { return s * s; }
  std::string name() const override { return "square"; }
};
struct Circle : Shape {
  double r;
  explicit Circle(double x) : r(x) {}
  double area() const override { return 3.0 * r * r; }
};

void check_rtti() {
  std::vector<std::unique_ptr<Shape>> shapes;
  shapes.push_back(std::make_unique<Square>(2));
  shapes.push_back(std::make_unique<Circle>(1));
  for (const auto &s : shapes) {
    const auto *named = dynamic_cast<const Named *>(s.get()); // a cross cast
    std::printf("rtti: %s area %.1f, %s\n", typeid(*s).name(), s->area(),
                named ? named->name().c_str() : "not Named");
  }
  try {
    const Shape &c = *shapes[1];
    (void)dynamic_cast<const Square &>(c);
  } catch (const std::bad_cast &) {
    std::puts("rtti: dynamic_cast of a reference to the wrong type: std::bad_cast");
  }
}

// ---- iostreams ----------------------------------------------------------

void check_streams(const std::string &root, const std::string &tmp) {
  std::cout << "iostream: " << std::setw(6) << std::setfill('.') << 42 << ' '
            << std::hex << 255 << std::dec << ' ' << std::fixed
            << std::setprecision(3) << 3.14159 << std::endl;
  std::ostringstream os;
  os << "answer=" << 6 * 7 << ';' << std::boolalpha << true;
  std::istringstream is("12 34.5 word");
  int i = 0;
  double d = 0;
  std::string w;
  is >> i >> d >> w;
  std::cout << "stringstream: " << os.str() << ", read " << i << ' ' << d
            << ' ' << w << '\n';
  std::ifstream hello(root + "/hello.txt");
  std::string line;
  std::getline(hello, line);
  std::cout << "ifstream of the root's hello.txt: " << line << '\n';
  {
    std::ofstream out(tmp + "/cxx.txt");
    for (int k = 0; k < 1000; k++)
      out << "line " << k << '\n';
  }
  std::ifstream back(tmp + "/cxx.txt");
  int lines = 0;
  std::string last;
  while (std::getline(back, line)) {
    lines++;
    last = line;
  }
  std::cout << "ofstream then ifstream: " << lines << " lines, last \"" << last
            << "\"\n";
  std::ifstream missing(root + "/no-such-file");
  std::cout << "ifstream of a missing file: " << (missing ? "open (wrong)" : "fails")
            << '\n';
}

// ---- threads --------------------------------------------------------------

struct PerThread {
  static std::atomic<int> made, gone;
  int uses = 0;
  PerThread() { made++; }
  ~PerThread() { gone++; }
};
std::atomic<int> PerThread::made, PerThread::gone;
thread_local PerThread per_thread;
thread_local int tl_counter = 100;

void check_threads() {
  // A queue between 4 producers and 3 consumers.
  std::mutex m;
  std::condition_variable cv;
  std::queue<int> q;
  bool closed = false;
  long sum = 0;
  std::vector<std::thread> consumers;
  for (int c = 0; c < 3; c++)
    consumers.emplace_back([&] {
      long mine = 0;
      for (;;) {
        std::unique_lock<std::mutex> lk(m);
        cv.wait(lk, [&] { return !q.empty() || closed; });
        if (q.empty())
          break;
        mine += q.front();
        q.pop();
        lk.unlock();
        cv.notify_all();
      }
      std::lock_guard<std::mutex> lk(m);
      sum += mine;
    });
  std::vector<std::thread> producers;
  for (int p = 0; p < 4; p++)
    producers.emplace_back([&, p] {
      for (int k = 1; k <= 2500; k++) {
        std::unique_lock<std::mutex> lk(m);
        cv.wait(lk, [&] { return q.size() < 64; });
        q.push(p * 2500 + k);
        lk.unlock();
        cv.notify_all();
      }
    });
  for (auto &t : producers)
    t.join();
  {
    std::lock_guard<std::mutex> lk(m);
    closed = true;
  }
  cv.notify_all();
  for (auto &t : consumers)
    t.join();
  std::printf("threads: 4 producers, 3 consumers, 10000 items, sum %ld (want %ld)\n",
              sum, 10000L * 10001 / 2);

  // wait_for that times out, and one that is woken.
  std::unique_lock<std::mutex> lk(m);
  auto t0 = std::chrono::steady_clock::now();
  bool woken = cv.wait_for(lk, std::chrono::milliseconds(30), [] { return false; });
  auto waited = std::chrono::steady_clock::now() - t0;
  lk.unlock();
  std::printf("condition_variable::wait_for(30 ms) timed out: %s, after 30 ms or more: %s\n",
              woken ? "no" : "yes", waited >= std::chrono::milliseconds(30) ? "yes" : "no");

  // thread_local: each thread its own, destroyed as the thread ends.
  tl_counter = 1;
  per_thread.uses++;
  std::vector<std::thread> ts;
  std::atomic<int> fresh{0};
  for (int k = 0; k < 8; k++)
    ts.emplace_back([&] {
      if (tl_counter == 100 && per_thread.uses == 0)
        fresh++;
      tl_counter = k;
      per_thread.uses++;
    });
  for (auto &t : ts)
    t.join();
  std::printf("thread_local: 8 threads saw fresh values: %d; main's still %d; "
              "objects made %d, destroyed %d\n",
              fresh.load(), tl_counter, PerThread::made.load(), PerThread::gone.load());

  // std::async and an exception carried by a future.
  auto f1 = std::async(std::launch::async, [] {
    std::vector<int> v(1000);
    std::iota(v.begin(), v.end(), 1);
    return std::accumulate(v.begin(), v.end(), 0L);
  });
  auto f2 = std::async(std::launch::async, [] () -> int {
    throw AppError("from another thread", 7);
  });
  std::printf("async: %ld\n", f1.get());
  try {
    f2.get();
  } catch (const AppError &e) {
    std::printf("a future's exception: %s, code %d\n", e.what(), e.code);
  }
  // An exception_ptr handed over by hand.
  std::exception_ptr ep;
  std::thread([&] {
    try {
      level1(5);
    } catch (...) {
      ep = std::current_exception();
    }
  }).join();
  try {
    std::rethrow_exception(ep);
  } catch (const DeepError &e) {
    std::printf("exception_ptr from a thread: %s\n", e.what());
  }
  auto t1 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::printf("sleep_for(20 ms) slept 20 ms or more: %s\n",
              std::chrono::steady_clock::now() - t1 >= std::chrono::milliseconds(20)
                  ? "yes" : "no");
}

// ---- files: std::filesystem, a directory of thousands, mmap --------------

void check_filesystem(const std::string &root, const std::string &tmp) {
  const fs::path big = fs::path(root) / "big";
  std::vector<std::string> names;
  for (const auto &e : fs::directory_iterator(big))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  bool all = names.size() == BIG_ENTRIES;
  for (int k = 0; all && k < BIG_ENTRIES; k++) {
    char want[16];
    std::snprintf(want, sizeof(want), "f%04d", k);
    all = names[static_cast<size_t>(k)] == want;
  }
  std::printf("directory_iterator over big/: %zu entries, each once: %s\n",
              names.size(), all ? "yes" : "no");
  std::uintmax_t bytes = 0;
  int files = 0;
  for (const auto &e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().parent_path() == big) {
      bytes += e.file_size();
      files++;
    }
  std::printf("recursive_directory_iterator: %d files in big/, %ju bytes\n", files,
              bytes);
  std::printf("exists(hello.txt) %d, is_directory(big) %d, file_size(big/f0042) %ju\n",
              fs::exists(fs::path(root) / "hello.txt"), fs::is_directory(big),
              fs::file_size(big / "f0042"));
  const fs::path made = fs::path(tmp) / "a" / "b" / "c";
  fs::create_directories(made);
  std::ofstream(made / "x") << "x";
  fs::rename(made / "x", made / "y");
  std::printf("create_directories, rename: %d %d\n", fs::exists(made / "y"),
              fs::exists(made / "x"));
  std::printf("remove_all removed %ju\n", fs::remove_all(fs::path(tmp) / "a"));
  try {
    (void)fs::file_size(fs::path(root) / "no-such-file");
  } catch (const fs::filesystem_error &e) {
    std::printf("file_size of a missing file: filesystem_error, %s\n",
                e.code() == std::errc::no_such_file_or_directory ? "ENOENT" : "other");
  }

  // mmap of a file of the root: read-only, shared and private.
  const std::string f = (big / "f2999").string();
  int fd = open(f.c_str(), O_RDONLY);
  off_t len = lseek(fd, 0, SEEK_END);
  auto *p = static_cast<char *>(
      mmap(nullptr, static_cast<size_t>(len), PROT_READ, MAP_SHARED, fd, 0));
  std::ifstream in(f, std::ios::binary);
  std::string want((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::printf("mmap of big/f2999 (%jd bytes): %s\n", static_cast<intmax_t>(len),
              p != MAP_FAILED && want.size() == static_cast<size_t>(len) &&
                      std::memcmp(p, want.data(), want.size()) == 0
                  ? "the file's bytes"
                  : "wrong");
  if (p != MAP_FAILED)
    munmap(p, static_cast<size_t>(len));
  auto *q = static_cast<char *>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE, fd, 0));
  bool priv = q != MAP_FAILED && std::memcmp(q, want.data(), want.size()) == 0;
  if (priv) {
    q[0] = '!';
    priv = q[want.size()] == '\0'; // the rest of the page is zeroes
    munmap(q, 4096);
  }
  std::ifstream again(f);
  std::printf("MAP_PRIVATE of it, written: the file unchanged: %s\n",
              priv && again.get() == want[0] ? "yes" : "no");
  close(fd);
}

// ---- the library --------------------------------------------------------

void check_library() {
  std::map<std::string, int> words;
  std::istringstream text("the quick brown fox jumps over the lazy dog the end");
  for (std::string w; text >> w;)
    words[w]++;
  std::printf("map: %zu words, \"the\" %d times\n", words.size(), words["the"]);
  std::unordered_map<int, int> squares;
  for (int k = 0; k < 100000; k++)
    squares[k] = k * k;
  std::printf("unordered_map: %zu, [999] %d\n", squares.size(), squares[999]);
  std::regex re(R"((\w+)@(\w+)\.org)");
  std::smatch m;
  std::string s = "mail root@example.org now";
  std::printf("regex: %s\n",
              std::regex_search(s, m, re) ? (m[1].str() + " at " + m[2].str()).c_str()
                                          : "no match");
  std::printf("to_string(1.5) %s, stod(\"2.25\") %.2f, stoll %lld\n",
              std::to_string(1.5).c_str(), std::stod("2.25"), std::stoll("-9000000000"));
  std::function<int(int)> fib = [&](int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); };
  std::printf("std::function, recursive: fib(20) %d\n", fib(20));
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s ROOT TMP\n", argv[0]);
    return 2;
  }
  std::printf("static order: %s\n", init_log().c_str());
  check_exceptions();
  check_rtti();
  check_streams(argv[1], argv[2]);
  check_threads();
  check_filesystem(argv[1], argv[2]);
  check_library();
  std::printf("== done\n");
  std::fflush(stdout);
  return 0;
}
