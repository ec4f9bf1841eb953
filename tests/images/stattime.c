// LD_PRELOAD shim for build-images.sh: makes every stat() report atime = ctime = mtime, and
// the clock read SOURCE_DATE_EPOCH when it is set.
//
// Packers that copy a directory (mkfs.jffs2, mkfs.ubifs, genext2fs, mke2fs -d, xorriso)
// store each file's atime and ctime. The kernel sets ctime to "now" on every change and
// reading a file moves its atime, so no command can pin them; without this shim those
// images differ on every build. mtime is pinned by the script (touch -d @SOURCE_DATE_EPOCH).
// Some of them also stamp what they add from a device table, or the filesystem itself, with
// the current time and have no option against it, hence the clock.
//
//   cc -shared -fPIC -O2 -o stattime.so stattime.c -ldl
//   LD_PRELOAD=./stattime.so mkfs.jffs2 ...
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

static void Pin(struct stat* st) {
  st->st_atim = st->st_mtim;
  st->st_ctim = st->st_mtim;
}

static void Pin64(struct stat64* st) {
  st->st_atim = st->st_mtim;
  st->st_ctim = st->st_mtim;
}

static void PinX(struct statx* st) {
  st->stx_atime = st->stx_mtime;
  st->stx_ctime = st->stx_mtime;
  st->stx_btime = st->stx_mtime;
}

// Each wrapper looks up the next definition once and pins the result on success.
#define WRAP(pin, name, params, args, pin_arg)                \
  int name params {                                           \
    static int(*next) params;                                 \
    if (!next) next = (int(*) params)dlsym(RTLD_NEXT, #name); \
    int rc = next args;                                       \
    if (rc == 0) pin(pin_arg);                                \
    return rc;                                                \
  }

WRAP(Pin, stat, (const char* p, struct stat* s), (p, s), s)
WRAP(Pin, lstat, (const char* p, struct stat* s), (p, s), s)
WRAP(Pin, fstat, (int fd, struct stat* s), (fd, s), s)
WRAP(Pin, fstatat, (int d, const char* p, struct stat* s, int f), (d, p, s, f), s)
WRAP(Pin64, stat64, (const char* p, struct stat64* s), (p, s), s)
WRAP(Pin64, lstat64, (const char* p, struct stat64* s), (p, s), s)
WRAP(Pin64, fstat64, (int fd, struct stat64* s), (fd, s), s)
WRAP(Pin64, fstatat64, (int d, const char* p, struct stat64* s, int f), (d, p, s, f), s)
// The entry points that binaries built against glibc < 2.33 still call (libisofs does).
// glibc keeps them only as compat symbols, which dlsym cannot find: forward to the
// wrappers above (the version argument is the same on x86_64 for every caller).
int __xstat(int v, const char* p, struct stat* s) { return stat(p, s); }
int __lxstat(int v, const char* p, struct stat* s) { return lstat(p, s); }
int __fxstat(int v, int fd, struct stat* s) { return fstat(fd, s); }
int __fxstatat(int v, int d, const char* p, struct stat* s, int f) { return fstatat(d, p, s, f); }
int __xstat64(int v, const char* p, struct stat64* s) { return stat64(p, s); }
int __lxstat64(int v, const char* p, struct stat64* s) { return lstat64(p, s); }
int __fxstat64(int v, int fd, struct stat64* s) { return fstat64(fd, s); }

int statx(int d, const char* p, int f, unsigned m, struct statx* s) {
  static int (*next)(int, const char*, int, unsigned, struct statx*);
  if (!next)
    next = (int (*)(int, const char*, int, unsigned, struct statx*))dlsym(RTLD_NEXT, "statx");
  int rc = next(d, p, f, m, s);
  if (rc == 0) PinX(s);
  return rc;
}

// The clock: SOURCE_DATE_EPOCH if set, else the real one.
static int Epoch(time_t* out) {
  const char* e = getenv("SOURCE_DATE_EPOCH");
  if (e == NULL || *e == '\0') return 0;
  *out = (time_t)strtoll(e, NULL, 10);
  return 1;
}

time_t time(time_t* t) {
  time_t now;
  if (!Epoch(&now)) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    now = ts.tv_sec;
  }
  if (t) *t = now;
  return now;
}

int gettimeofday(struct timeval* tv, void* tz) {
  static int (*next)(struct timeval*, void*);
  if (!next) next = (int (*)(struct timeval*, void*))dlsym(RTLD_NEXT, "gettimeofday");
  int rc = next(tv, tz);
  time_t now;
  if (rc == 0 && Epoch(&now)) {
    tv->tv_sec = now;
    tv->tv_usec = 0;
  }
  return rc;
}

int clock_gettime(clockid_t clock, struct timespec* ts) {
  static int (*next)(clockid_t, struct timespec*);
  if (!next) next = (int (*)(clockid_t, struct timespec*))dlsym(RTLD_NEXT, "clock_gettime");
  int rc = next(clock, ts);
  time_t now;
  if (rc == 0 && clock == CLOCK_REALTIME && Epoch(&now)) {
    ts->tv_sec = now;
    ts->tv_nsec = 0;
  }
  return rc;
}
