/*
 * dlopen in an image (rt/dl.c): each argument a path to dlopen, one line
 * each of what dlopen, dlsym and dlclose did, for tests/rt/images.sh.
 * The module is tests/rt/progs/dl_mod.c built by `znet-cc -shared`; the
 * image's root holds it at several paths.
 */
#include <dlfcn.h>
#include <stdio.h>

int counter = 100; /* the module has its own */

int main(int argc, char **argv) {
  void *self = dlopen(NULL, RTLD_NOW);
  printf("dlopen(NULL): %s, dlsym of it: %s\n", self ? "a handle" : "NULL",
         self && !dlsym(self, "main") ? "NULL" : "found");
  for (int i = 1; i < argc; i++) {
    void *h = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      printf("%s: dlopen failed: %s\n", argv[i], dlerror());
      continue;
    }
    int (*triple)(int) = (int (*)(int))dlsym(h, "mod_triple");
    int (*count)(void) = (int (*)(void))dlsym(h, "mod_counter");
    int (*ctor)(void) = (int (*)(void))dlsym(h, "mod_ctor_ran");
    const char *(*greet)(const char *) =
        (const char *(*)(const char *))dlsym(h, "mod_greet");
    void *none = dlsym(h, "not_there");
    const char *err = none ? "found" : dlerror();
    if (!triple || !count || !ctor || !greet) {
      printf("%s: a symbol is missing\n", argv[i]);
      continue;
    }
    int t = triple(14), c = count();
    int rc = dlclose(h);
    printf("%s: triple(14)=%d, its counter %d, the program's %d, "
           "constructor ran %d, %s; not_there: %s; dlclose %d\n",
           argv[i], t, c, counter, ctor(), greet("image"), err, rc);
  }
  int rc = dlclose(&counter);
  printf("dlclose of a bad handle: %d (%s)\n", rc,
         dlerror() ? "an error" : "no error");
  return 0;
}
